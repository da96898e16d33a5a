"""What ran, read from the warehouse (read-only) and the operations table: for `complaints status` and
`complaints quarantine`. Tables for a terminal (rich); the quarantine's raw records only when asked for."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from rich.table import Table
from rich.text import Text

from complaints_pipeline import oncall
from complaints_pipeline.config import Settings
from complaints_pipeline.warehouse import Connection

VERDICTS = {"passed": "loaded", "blocked": "BLOCKED", "not_delivered": "NOT DELIVERED"}


def has_warehouse(settings: Settings) -> bool:
    if settings.warehouse_kind == "duckdb" and not settings.warehouse_path.exists():
        return False
    with Connection(settings, read_only=True) as con:
        tables = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'load_reconciliation'"
        ).fetchone()[0]
    return bool(tables)


def _rows(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with Connection(settings, read_only=True) as con:
        return con.execute(sql, params).fetchall()


def date_range(settings: Settings, first: dt.date | None, last: dt.date | None) -> tuple[dt.date | None, dt.date]:
    """The given dates, or the last 7 dates loaded."""
    if first is not None:
        return first, last or first
    ((newest,),) = _rows(settings, "select max(partition_date) from raw.load_reconciliation")
    if newest is None:
        return None, dt.date.today()
    return newest - dt.timedelta(days=6), newest


def channel_days_table(settings: Settings, first: dt.date, last: dt.date) -> Table:
    rows = _rows(
        settings,
        "select partition_date, channel, files, records_in, loaded, quarantined, skipped, withheld, gate, run_id "
        "from raw.load_reconciliation where partition_date between ? and ? order by partition_date, channel",
        [first, last],
    )
    table = Table(title=f"Per channel and landing date, {first} to {last}", title_justify="left")
    for name in ("date", "channel", "files", "records", "loaded", "quarantined", "skipped", "withheld", "verdict"):
        table.add_column(name, justify="left" if name in ("date", "channel", "verdict") else "right")
    table.add_column("run", overflow="fold")
    for day, channel, files, records, loaded, quarantined, skipped, withheld, gate, run_id in rows:
        verdict = VERDICTS.get(gate or "passed", gate)
        style = "" if verdict == "loaded" else "bold red"
        table.add_row(
            str(day),
            channel,
            f"{files:,}",
            f"{records:,}",
            f"{loaded:,}",
            f"{quarantined:,}",
            f"{skipped:,}",
            f"{withheld or 0:,}",
            Text(verdict, style=style),
            run_id or "",
        )
    if not rows:
        table.caption = "nothing loaded for these dates"
    return table


def problems(settings: Settings, first: dt.date, last: dt.date) -> list[Text]:
    """Why each blocked or undelivered channel-day was not loaded, and what to do."""
    rows = _rows(
        settings,
        "select partition_date, channel, gate, gate_messages from raw.load_reconciliation "
        "where partition_date between ? and ? and gate in ('blocked', 'not_delivered') order by 1, 2",
        [first, last],
    )
    out = []
    for day, channel, gate, messages in rows:
        line = Text(f"{channel} {day} {VERDICTS[gate]}: ", style="bold red")
        line.append(messages or "", style="")
        if gate == "blocked":
            line.append(
                f"\n  see the records: complaints quarantine show {channel} {day}; fix the file and"
                f" complaints quarantine replay FIXED_FILE --channel {channel} --date {day}",
                style="dim",
            )
        else:
            line.append(f"\n  land the export: complaints land FILE --channel {channel} --date {day}", style="dim")
        out.append(line)
    return out


def alerts_table(settings: Settings, first: dt.date, last: dt.date) -> Table:
    table = Table(title="Surge alerts", title_justify="left")
    for name in ("date", "series", "level", "status", "attempts", "subject"):
        table.add_column(name)
    try:
        rows = _rows(
            settings,
            "select surge_date, dimension_name || ' ' || dimension_value, surge_level, status, attempts, subject "
            "from ops.alert_log where surge_date between ? and ? order by 1, 2",
            [first, last],
        )
    except Exception:  # noqa: BLE001 - no alert was ever sent: the table does not exist yet
        rows = []
    for day, series, level, state, attempts, subject in rows:
        table.add_row(str(day), series, level, state, str(attempts), subject)
    if not rows:
        table.caption = "no surge flagged for these dates"
    return table


def oncall_table(settings: Settings, limit: int = 5) -> Table:
    table = Table(title=f"On-call notices (last {limit}, {oncall.ops_database(settings)})", title_justify="left")
    for name in ("when (UTC)", "task", "run", "email", "notifier", "error"):
        table.add_column(name, overflow="fold")
    notices = oncall.recent_notices(settings, limit)
    for notice in notices:
        table.add_row(
            notice["noticed_at"],
            notice["task_id"],
            notice["run_id"] or "",
            notice["email"],
            notice["notifier"],
            (notice["error"] or "").splitlines()[0][:160] if notice["error"] else "",
        )
    if not notices:
        table.caption = "none"
    return table


def quarantine_table(settings: Settings, day: dt.date | None, channels: list[str]) -> Table:
    first, last = date_range(settings, day, day)
    marks = ", ".join("?" for _ in channels)
    rows = _rows(
        settings,
        "select partition_date, channel, source_file, check_name, min(reason), count(*) from raw.quarantine "
        f"where partition_date between ? and ? and channel in ({marks}) group by 1, 2, 3, 4 order by 1, 2, 3, 6 desc",
        [first, last, *channels] if first else [dt.date.min, last, *channels],
    )
    table = Table(title=f"Quarantined records, {first} to {last}", title_justify="left")
    for name in ("date", "channel", "file", "check", "records", "reason (first)"):
        table.add_column(name, justify="right" if name == "records" else "left", overflow="fold")
    for partition_date, channel, source_file, check, reason, count in rows:
        table.add_row(str(partition_date), channel, source_file, check, f"{count:,}", reason)
    if not rows:
        table.caption = "nothing quarantined"
    return table


def _quarantined(settings: Settings, channel: str, day: dt.date, file: str | None) -> list[tuple]:
    only_file = " and source_file like ?" if file else ""
    return _rows(
        settings,
        "select source_file, source_position, check_name, failing_column, failing_value, reason, raw_record "
        f"from raw.quarantine where channel = ? and partition_date = ?{only_file} "
        "order by source_file, length(source_position), source_position",
        [channel, day, *([f"%{file}"] if file else [])],
    )


def quarantine_records(
    settings: Settings, channel: str, day: dt.date, file: str | None, raw: bool, limit: int
) -> Table:
    rows = _quarantined(settings, channel, day, file)
    table = Table(title=f"{channel} {day}: {len(rows):,} quarantined records", title_justify="left")
    for name in ("file", "at", "check", "column", "value", "reason", *(["as landed"] if raw else [])):
        table.add_column(name, overflow="fold")
    for source_file, position, check, column, value, reason, record in rows[:limit]:
        cells = [source_file, position, check, column or "", (value or "")[:60], reason]
        table.add_row(*cells, *([(record or "")[:400]] if raw else []))
    if len(rows) > limit:
        table.caption = f"{len(rows) - limit:,} more: --limit, or complaints quarantine export"
    return table


def export_quarantine(settings: Settings, channel: str, day: dt.date, to: Path) -> int:
    rows = _quarantined(settings, channel, day, None)
    with to.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["source_file", "source_position", "check_name", "failing_column", "failing_value", "reason", "raw_record"]
        )
        writer.writerows(rows)
    return len(rows)
