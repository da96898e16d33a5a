"""The load: each channel's staged dates into the warehouse's raw tables, in one transaction per call.

Rerunning a date replaces exactly that date's records; a failed load rolls back and leaves nothing
half-written. What each record becomes (a new version, a skipped copy, a quarantined id) is versions.py's
rule. Every load records the complaint dates it changed, so dbt rebuilds exactly those.

At volume: with DuckDB 2.0.0, a temporary table made by `create temp table t as select ... where false` and
filled in the same transaction scanned as empty once it held about 122,000 rows (a filtered scan or a count
still saw them), so the old loader's `not in` over it loaded nothing and its count check refused the day.
DuckDB 2.0.1 no longer shows it (checked: 122,000 and 300,000 rows), and the lock now pins 2.0.1; the load
also declares its temporary tables, which 2.0.0 read correctly. tests/unit/test_loader_volume.py loads a
300,000-row channel-day.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from complaints_pipeline import categoriser, copies, critical_model, sentiment, versions
from complaints_pipeline.config import Settings
from complaints_pipeline.reference import CHANNELS
from complaints_pipeline.sources.base import CANONICAL_COLUMNS, CANONICAL_SCHEMA, QUARANTINE_SCHEMA, SKIPPED_SCHEMA
from complaints_pipeline.staging import dates_with_new_files, staging_folder
from complaints_pipeline.warehouse import Connection, ensure_holidays, ensure_schema, local_date, temp_table_ddl

log = logging.getLogger(__name__)


def load(
    channels: list[str],
    days: list[dt.date],
    settings: Settings,
    run_id: str | None = None,
    landed_by: dt.datetime | None = None,
) -> list[dict]:
    """Replace the raw records of these channels and dates with what the extract stage staged (an intraday run:
    from the files landed by landed_by). A date staged from other files than are landed now is left as it was."""
    con = Connection(settings)
    loaded = []
    try:
        ensure_schema(con, list(CHANNELS))  # every raw table exists, so dbt builds even if a channel is missing
    except BaseException:
        con.close()
        raise
    try:
        con.begin()
        [(loaded_at,)] = con.execute("select cast(timezone('UTC', now()) as timestamp)").fetchall()
        for channel in channels:
            for day in days:
                folder = staging_folder(settings.staging_dir, channel, day)
                summary_file = folder / "summary.json"
                # The channel's extract failed before it staged this date (its task says why): the
                # date keeps what it had, and the other channels still load.
                if not summary_file.exists() or dates_with_new_files(
                    settings.landing_dir, settings.staging_dir, channel, [day], landed_by and landed_by.timestamp()
                ):
                    log.warning("%s %s: not staged from the files landed now; left as it was", channel, day)
                    continue
                summary = json.loads(summary_file.read_text(encoding="utf-8"))
                if con.kind == "postgres":  # one load of a channel's date at a time: the daily and intraday runs'
                    con.execute("select pg_advisory_xact_lock(hashtext(?))", [f"{channel}/{day}"])
                day_load = _DayLoad(con, channel, day, loaded_at, settings.local_tz)
                loaded.append(day_load.replace(folder, summary, run_id))
        categorised = categoriser.categorise_texts(con, settings, channels, days, loaded_at)
        if categorised:
            log.info("%d new complaint texts categorised by the learned classifier", categorised)
        scored = critical_model.score_texts(con, settings, channels, days, loaded_at)
        if scored:
            log.info("%d new complaint texts scored by the fast lane's learned classifier", scored)
        felt = sentiment.score_texts(con, channels, days, loaded_at)
        if felt:
            log.info("%d new complaint texts' sentiment scored", felt)
        linked = copies.link_texts(con, channels, days, loaded_at)
        if linked:
            log.info("%d new long complaint texts linked into copy groups", linked)
        added = ensure_holidays(con, settings.holiday_country, settings.holiday_subdivision)
        if added:
            log.info("%d public holidays of %s added to the calendar", added, settings.holiday_country)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()
    return loaded


class _DayLoad:
    """One channel's date: its old records out, its staged records judged and in, the counts checked."""

    def __init__(self, con: Connection, channel: str, day: dt.date, loaded_at: dt.datetime, tz: str) -> None:
        self.con, self.channel, self.day, self.loaded_at, self.tz = con, channel, day, loaded_at, tz
        self.table = f"raw.{channel}_complaints"
        self.where_day = {"channel": channel, "day": day}

    def replace(self, folder: Path, summary: dict, run_id: str | None) -> dict:
        con, table = self.con, self.table
        # The complaints this date's records were versions of, and their dates, before they go.
        con.execute(
            f"""
            create temp table replaced as
            select distinct complaint_id, {local_date("received_at", self.tz)} as complaint_date
            from {table} where partition_date = ?
            """,
            [self.day],
        )
        con.execute(f"delete from {table} where partition_date = ?", [self.day])
        for log_table in ("raw.quarantine", "raw.skipped", "raw.load_complaint_dates", "raw.load_reconciliation"):
            con.execute(f"delete from {log_table} where channel = $channel and partition_date = $day", self.where_day)
        # A day the gate blocked replaces the date with none of its records: the marts show the channel missing.
        blocked = bool(summary.get("blocked"))
        con.execute(temp_table_ddl("landed", CANONICAL_SCHEMA))
        if not blocked:
            con.insert_parquet("landed", list(CANONICAL_COLUMNS), folder / "complaints.parquet")
        con.execute(
            f"create temp table staged as select landed.*, {versions.content_hash('landed')} as content_hash "
            "from landed"
        )
        con.execute(f"create temp table judged as {versions.judge_sql(table)}")
        self._apply()
        con.insert_parquet("raw.quarantine", QUARANTINE_SCHEMA.names, folder / "quarantine.parquet")
        con.insert_parquet("raw.skipped", SKIPPED_SCHEMA.names, folder / "skipped.parquet")
        self._record_dates()
        result = self._reconcile(summary, blocked, run_id)
        self._recount_displaced()
        for temp in ("replaced", "landed", "staged", "judged", "displaced"):
            con.execute(f"drop table {temp}")
        return result

    def _apply(self) -> None:
        con, table = self.con, self.table
        columns = ", ".join(CANONICAL_COLUMNS)
        # Loaded copies that an older copy of this date displaces: skipped in their own date, which is recounted.
        con.execute(
            f"""
            create temp table displaced as
            select loaded.partition_date, loaded.source_file, loaded.source_position, loaded.complaint_id,
                   judged.source_file as older_file
            from {table} as loaded
            inner join judged
                on loaded.complaint_id = judged.complaint_id and loaded.content_hash = judged.content_hash
            where judged.verdict = '{versions.OLDER_COPY}'
            """
        )
        con.execute(
            f"""
            insert into raw.skipped ({", ".join(SKIPPED_SCHEMA.names)})
            select $channel, partition_date, source_file, source_position, 'duplicate_version',
                   'the same version of ' || complaint_id || ' as the older one loaded for '
                       || cast(cast($day as date) as varchar) || ' from ' || older_file,
                   complaint_id
            from displaced
            """,
            self.where_day,
        )
        con.execute(
            f"""
            delete from {table}
            where exists (
                select 1 from displaced
                where displaced.partition_date = {table}.partition_date
                    and displaced.source_file = {table}.source_file
                    and displaced.source_position = {table}.source_position
            )
            """
        )
        con.execute(
            f"""
            insert into {table} ({columns}, content_hash, loaded_at)
            select {columns}, content_hash, ? from judged where verdict in ('{versions.NEW}', '{versions.OLDER_COPY}')
            """,
            [self.loaded_at],
        )
        checks = f"case verdict when '{versions.OTHER_OWNER}' then 'duplicate_id' else 'conflicting_version' end"
        quarantined = ", ".join(f"'{v}'" for v in versions.QUARANTINED)
        # The record as loaded, as JSON (a row of the staged table: the same on both warehouses).
        con.execute(
            f"""
            insert into raw.quarantine ({", ".join(QUARANTINE_SCHEMA.names)})
            select $channel, $day, judged.source_file, judged.source_position, judged.complaint_id,
                   {checks}, 'complaint_id', judged.complaint_id, judged.verdict_reason,
                   cast(to_json(landed) as varchar)
            from judged
            inner join landed
                on judged.source_file = landed.source_file and judged.source_position = landed.source_position
            where judged.verdict in ({quarantined})
            """,
            self.where_day,
        )
        skipped = ", ".join(f"'{v}'" for v in versions.SKIPPED)
        con.execute(
            f"""
            insert into raw.skipped ({", ".join(SKIPPED_SCHEMA.names)})
            select $channel, $day, source_file, source_position, 'duplicate_version', verdict_reason, complaint_id
            from judged where verdict in ({skipped})
            """,
            self.where_day,
        )

    def _count(self, what: str, day: str = "$day") -> str:
        """A subquery: the channel's count of one kind of record for a landing date (an expression)."""
        table = self.table
        return {
            "loaded": f"(select count(*) from {table} where partition_date = {day})",
            "updates": f"""(select count(*) from {table} as versions
                where partition_date = {day} and exists (
                    select 1 from {table} as other
                    where other.complaint_id = versions.complaint_id and other.partition_date != {day}))""",
            "quarantined": f"(select count(*) from raw.quarantine where channel = $channel and partition_date = {day})",
            "skipped": f"(select count(*) from raw.skipped where channel = $channel and partition_date = {day})",
        }[what]

    def _recount_displaced(self) -> None:
        """The dates whose copies this load displaced: fewer loaded, more skipped, records in unchanged."""
        day = "raw.load_reconciliation.partition_date"
        self.con.execute(
            f"""
            update raw.load_reconciliation
            set loaded = {self._count("loaded", day)}, updates = {self._count("updates", day)},
                skipped = {self._count("skipped", day)}
            where channel = $channel and partition_date in (select partition_date from displaced)
            """,
            {"channel": self.channel},
        )

    def _record_dates(self) -> None:
        """The complaint dates this load changed: every date a version of a complaint it touched falls on."""
        self.con.execute(
            f"""
            insert into raw.load_complaint_dates (channel, partition_date, complaint_date, loaded_at)
            select distinct $channel, $day, complaint_date, $loaded_at
            from (
                select {local_date("versions.received_at", self.tz)} as complaint_date
                from {self.table} as versions
                inner join (select distinct complaint_id from staged) as touched
                    on versions.complaint_id = touched.complaint_id
                union
                select complaint_date from replaced
            ) as dates
            where complaint_date is not null
            """,
            self.where_day | {"loaded_at": self.loaded_at},
        )

    def _reconcile(self, summary: dict, blocked: bool, run_id: str | None) -> dict:
        con, channel, day = self.con, self.channel, self.day
        loaded, updates, quarantined, skipped = con.execute(
            f"select {self._count('loaded')}, {self._count('updates')}, {self._count('quarantined')}, "
            f"{self._count('skipped')}",
            self.where_day,
        ).fetchone()
        withheld = summary.get("loaded", 0) if blocked else 0
        if summary["records_in"] != loaded + quarantined + skipped + withheld:
            raise RuntimeError(
                f"{channel} {day}: {summary['records_in']} records came in but {loaded} loaded + {quarantined} "
                f"quarantined + {skipped} skipped + {withheld} withheld do not add up; nothing was loaded"
            )
        messages = summary.get("blocked") or summary.get("warnings") or None
        con.execute(
            """
            insert into raw.load_reconciliation
                (channel, partition_date, files, records_in, loaded, quarantined, skipped, run_id,
                 withheld, gate, gate_messages, expectations_failed, loaded_at, updates)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                channel,
                day,
                len(summary["files"]),
                summary["records_in"],
                loaded,
                quarantined,
                skipped,
                run_id,
                withheld,
                "not_delivered" if summary.get("not_delivered") else "blocked" if blocked else "passed",
                None if messages is None else "\n".join(messages),
                "; ".join(summary.get("expectations_failed", [])) or None,
                self.loaded_at,
                updates,
            ],
        )
        log.info(
            "%s %s: %d versions loaded (%d update complaints loaded before), %d quarantined, %d skipped",
            channel,
            day,
            loaded,
            updates,
            quarantined,
            skipped,
        )
        return {
            "channel": channel,
            "partition_date": day.isoformat(),
            "loaded": loaded,
            "updates": updates,
            "quarantined": quarantined,
            "skipped": skipped,
        }
