"""The benchmarks' scratch folders: the pipeline's settings pointed at a folder of their own, and a long history
made from a few loaded days in SQL (generating and extracting it would take longer than what is measured)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from complaints_pipeline import warehouse  # noqa: E402
from complaints_pipeline.config import Settings, load_settings  # noqa: E402
from complaints_pipeline.reference import CHANNELS  # noqa: E402

HISTORY_LOADED_AT = dt.datetime(2000, 1, 1)
TIMESTAMPS = ("received_at", "first_response_at", "resolved_at", "version_at")
_PLACES = ("COMPLAINTS_WAREHOUSE", "COMPLAINTS_LANDING_DIR", "COMPLAINTS_STAGING_DIR", "COMPLAINTS_MAIL_DIR")


def scratch_settings(folder: Path | None, prefix: str) -> Settings:
    """Settings whose every file lives under ``folder`` (a new temporary folder if None); var/ stays untouched."""
    home = folder or Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["COMPLAINTS_HOME"] = str(home)
    for name in _PLACES:
        os.environ.pop(name, None)
    return load_settings()


def copy_back(settings: Settings, loaded: list[dt.date], history_days: int, *, aged: bool = True) -> int:
    """Copy the loaded days' raw rows back, a span of len(loaded) days at a time (ids suffixed, every timestamp
    shifted: a week keeps its weekdays), until ``history_days`` days precede the day after the last loaded one.
    The loaded days are consecutive; returns the raw rows now held.

    ``aged``: the copies grow older as real complaints do. A copy shows its complaints as they stood at the end of
    the loaded days; without more, every complaint open then would stay open in every copy, for the whole history
    (at a million a day on 30 days, 58 % of the complaints would still run their clocks). So each copy also gets
    the version that resolves them (AGED_SQL), landing as the sources would send it, where that day precedes the
    new day; the copies of the last few days keep complaints open, as a real history does."""
    period, new_day = len(loaded), loaded[-1] + dt.timedelta(days=1)
    first = new_day - dt.timedelta(days=history_days)
    spans = -(-(history_days - period) // period)
    back = f"(select cast(range as integer) as k from range(1, {spans} + 1)) as spans"
    con = warehouse.connect(settings.warehouse_path, memory_limit=settings.duckdb_memory_limit)
    try:
        con.begin()
        for channel in CHANNELS:
            table = f"raw.{channel}_complaints"
            columns = [c[0] for c in con.execute(f"describe {table}").fetchall()]
            shifted = {
                "complaint_id": "complaint_id || '~' || spans.k",
                "source_record_id": "source_record_id || '~' || spans.k",
                "partition_date": f"cast(partition_date - {period} * spans.k as date)",
                **{c: f"{c} - to_days({period} * spans.k)" for c in TIMESTAMPS},
            }
            select = ", ".join(shifted.get(c, c) for c in columns)
            con.execute(
                f"""
                insert into {table} ({", ".join(columns)})
                select {select}
                from {table} cross join {back}
                where partition_date - {period} * spans.k >= ?
                """,
                [first],
            )
            if aged:
                _age(con, table, columns, (loaded[0], first, new_day), period, back)
        columns = [c[0] for c in con.execute("describe raw.load_reconciliation").fetchall()]
        shifted = {"partition_date": f"cast(partition_date - {period} * spans.k as date)", "loaded_at": "?"}
        con.execute(
            f"""
            insert into raw.load_reconciliation ({", ".join(columns)})
            select {", ".join(shifted.get(c, c) for c in columns)}
            from raw.load_reconciliation cross join {back}
            where partition_date - {period} * spans.k >= ?
            """,
            [HISTORY_LOADED_AT, first],
        )
        if aged:  # the resolving versions were loaded with the days they landed on
            con.execute(
                """
                update raw.load_reconciliation as r
                set records_in = r.records_in + a.n, loaded = r.loaded + a.n
                from (select channel, partition_date, count(*) as n from aged_versions group by all) as a
                where r.channel = a.channel and r.partition_date = a.partition_date
                """
            )
        # The copies reach back into earlier years: their public holidays, as the loader adds them.
        warehouse.ensure_holidays(con, settings.holiday_country, settings.holiday_subdivision)
        con.commit()
        return sum(con.execute(f"select count(*) from raw.{ch}_complaints").fetchone()[0] for ch in CHANNELS)
    finally:
        con.close()


# Of the complaints still unresolved at the end of the loaded days, one in BACKLOG_ONE_IN is never picked up (the
# generator's backlog: 3 % of all); the others are resolved 1 to 7 days after their last version (uniform, by a
# hash of the id: the service standard is 3 working days, 7 when complex), answered then if never before. The
# version is the last one with those fields changed, landing on its day, in a file of its own; from a source that
# sends changes as events (the web form's status events), an event without the text. (Only phone and web carry a
# case status; an email or a post has none, so its clocks do not run.)
BACKLOG_ONE_IN = 20
EVENT_CHANNELS = ("web",)
AGED_SQL = """
    with latest as (
        select *, cast(1 + hash(complaint_id) % 7 as integer) as d
        from {table}
        where partition_date >= ? and status is not null and version_kind in ('snapshot', 'event')
        qualify row_number() over (partition by complaint_id order by version_at desc) = 1
    )
    select {select}
    from latest cross join {back}
    where
        resolved_at is null
        and status not in ('resolved', 'closed')
        and hash(complaint_id || '~backlog') % {backlog_one_in} <> 0
        and partition_date - {period} * spans.k >= ?
        and partition_date + d - {period} * spans.k < ?
"""


def _age(con, table: str, columns: list[str], days: tuple[dt.date, dt.date, dt.date], period: int, back: str) -> None:
    """Insert each copy's resolving versions (AGED_SQL) into ``table``, noted in the temporary aged_versions.
    ``days``: the first loaded day, the first day of the history, the new day."""
    at = f"version_at + to_days(d - {period} * spans.k)"
    aged = {
        "complaint_id": "complaint_id || '~' || spans.k",
        "source_record_id": "source_record_id || '~' || spans.k",
        "partition_date": f"cast(partition_date + d - {period} * spans.k as date)",
        "received_at": f"received_at - to_days({period} * spans.k)",
        "first_response_at": f"coalesce(first_response_at - to_days({period} * spans.k), {at})",
        "resolved_at": at,
        "version_at": at,
        "status": "'resolved'",
        "source_file": "source_file || '~resolved'",
    }
    channel = table.removeprefix("raw.").removesuffix("_complaints")
    if channel in EVENT_CHANNELS:
        aged |= {"version_kind": "'event'", "complaint_text": "cast(null as varchar)"}
    select = ", ".join(f"{aged.get(c, c)} as {c}" for c in columns)
    sql = AGED_SQL.format(table=table, select=select, back=back, period=period, backlog_one_in=BACKLOG_ONE_IN)
    con.execute(f"create or replace temporary table aged_rows as {sql}", list(days))
    con.execute(f"insert into {table} ({', '.join(columns)}) select {', '.join(columns)} from aged_rows")
    con.execute("create temporary table if not exists aged_versions (channel varchar, partition_date date)")
    con.execute("insert into aged_versions select ?, partition_date from aged_rows", [channel])
    con.execute("drop table aged_rows")


def complaints_in_marts(settings: Settings) -> int:
    """The complaints marts.complaints holds (one row per complaint)."""
    return _count(settings, "select count(*) from marts.complaints")


def clocks_running(settings: Settings) -> int:
    """The complaints of marts.complaints whose clocks still run (a case status, and unanswered or unresolved: the
    ones a daily run rebuilds on the days before it, macros/clock_rebuild.sql)."""
    return _count(
        settings,
        "select count(*) from marts.complaints"
        " where status is not null and (first_responded_at is null or resolved_at is null)",
    )


def _count(settings: Settings, sql: str) -> int:
    con = warehouse.connect(settings.warehouse_path, read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()
