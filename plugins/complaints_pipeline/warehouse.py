"""The warehouse loader: staged Parquet into the raw tables, one transaction per call; and the connection
to the configured warehouse, the DuckDB file (embedded mode) or PostgreSQL (server mode).

Rerunning a date replaces exactly that date's rows; a failed load rolls back and leaves nothing half-written.
On DuckDB one process writes the file at a time (the DAG's `warehouse` pool); on PostgreSQL the channels
load concurrently, each in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from complaints_pipeline.config import Settings
from complaints_pipeline.ingest import dates_with_new_files, staging_folder
from complaints_pipeline.reference import CHANNELS
from complaints_pipeline.sources.base import CANONICAL_SCHEMA, QUARANTINE_SCHEMA, SKIPPED_SCHEMA

log = logging.getLogger(__name__)

# Column types both warehouses know by these names.
_SQL_TYPES = {
    pa.string(): "VARCHAR",
    pa.timestamp("us"): "TIMESTAMP",
    pa.int32(): "INTEGER",
    pa.float64(): "DOUBLE PRECISION",
    pa.date32(): "DATE",
}
_NAMED_PARAMETER = re.compile(r"\$([a-z_]+)")


class Connection:
    """A connection to the configured warehouse that runs the same SQL on DuckDB and PostgreSQL.

    Statements are written in the dialect both share, with DuckDB's parameters (`?`, `$name`); on PostgreSQL
    they become psycopg's (`%s`, `%(name)s`). Each statement commits on its own unless begin() opened a
    transaction.
    """

    def __init__(self, settings: Settings, read_only: bool = False) -> None:
        self.kind = settings.warehouse_kind
        self.name = settings.warehouse_name
        if self.kind == "duckdb":
            self._con = connect(settings.warehouse_path, read_only=read_only)
        else:
            import psycopg

            self._con = psycopg.connect(settings.warehouse_url, autocommit=True, application_name="complaints")
            if read_only:
                self._con.execute("set default_transaction_read_only = on")

    def execute(self, sql: str, params: list | dict | None = None):
        """Run one statement; returns a cursor (fetchone, fetchall)."""
        if self.kind == "duckdb":
            return self._con.execute(sql, params or [])
        return self._con.execute(*self._postgres(sql, params))

    def executemany(self, sql: str, rows: list) -> None:
        if self.kind == "duckdb":
            self._con.executemany(sql, rows)
        else:
            with self._con.cursor() as cursor:
                cursor.executemany(self._postgres(sql, [])[0], rows)

    @staticmethod
    def _postgres(sql: str, params):
        if params is None:
            return (sql,)
        sql = _NAMED_PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%")).replace("?", "%s")
        return sql, params

    def insert_parquet(self, table: str, columns: list[str], path: Path) -> None:
        """Append a Parquet file's rows to a table."""
        names = ", ".join(columns)
        if self.kind == "duckdb":
            self._con.execute(f"insert into {table} ({names}) select {names} from read_parquet(?)", [str(path)])
            return
        import pyarrow.parquet as pq

        batches = pq.read_table(path, columns=columns).to_batches(max_chunksize=10_000)
        with self._con.cursor() as cursor, cursor.copy(f"copy {table} ({names}) from stdin") as copy:
            for batch in batches:
                for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                    copy.write_row(row)

    def begin(self, ddl: bool = False) -> None:
        """Open a transaction. ddl: on PostgreSQL, wait for any other creating the warehouse's tables (two
        concurrent `create table if not exists` of one table fail)."""
        if self.kind == "duckdb":
            self._con.begin()
        else:
            self._con.execute("begin")
            if ddl:
                self._con.execute("select pg_advisory_xact_lock(hashtext('complaints warehouse ddl'))")

    def commit(self) -> None:
        self._con.execute("commit")

    def rollback(self) -> None:
        self._con.execute("rollback")

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


RECONCILIATION_DDL = """
create table if not exists raw.load_reconciliation (
    channel varchar not null,
    partition_date date not null,
    files integer not null,
    records_in integer not null,
    loaded integer not null,
    quarantined integer not null,
    skipped integer not null,
    run_id varchar,
    primary key (channel, partition_date)
)
"""
# The run log analysis timeliness is measured on: when each business date's marts were published.
PUBLICATIONS_DDL = """
create table if not exists raw.mart_publications (
    business_date date not null,
    published_at timestamp not null,
    run_id varchar
)
"""
# Added with the day gate; a warehouse made before it gains the columns in place.
RECONCILIATION_GATE_COLUMNS = (
    "withheld integer default 0",  # rows that passed row checks, held back by a blocked day
    "gate varchar default 'passed'",  # passed | blocked
    "gate_messages varchar",  # what blocked, or warned about, the day
    "expectations_failed varchar",  # row-level expectations some row failed, '; '-separated
    # When this load committed (UTC): dbt's incremental models rebuild the dates loaded since their last build.
    "loaded_at timestamp",
)


def _ddl(table: str, schema: pa.Schema) -> str:
    columns = ",\n    ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in schema)
    return f"create table if not exists {table} (\n    {columns}\n)"


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


def ensure_schema(con: Connection, channels: list[str]) -> None:
    """Create the raw tables (and add the columns added since) where they do not exist yet."""
    con.begin(ddl=True)
    try:
        _create_raw_tables(con, channels)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _create_raw_tables(con: Connection, channels: list[str]) -> None:
    con.execute("create schema if not exists raw")
    for channel in channels:
        con.execute(_ddl(f"raw.{channel}_complaints", CANONICAL_SCHEMA))
    con.execute(_ddl("raw.quarantine", QUARANTINE_SCHEMA))
    con.execute(_ddl("raw.skipped", SKIPPED_SCHEMA))
    con.execute(RECONCILIATION_DDL)
    con.execute(PUBLICATIONS_DDL)
    for column in RECONCILIATION_GATE_COLUMNS:
        con.execute(f"alter table raw.load_reconciliation add column if not exists {column}")


def load(channels: list[str], days: list[dt.date], settings: Settings, run_id: str | None = None) -> list[dict]:
    """Replace the raw rows of these channels and dates with what the extract stage staged."""
    con = Connection(settings)
    loaded = []
    try:
        ensure_schema(con, list(CHANNELS))  # every raw table exists, so dbt builds even if a channel is missing
    except BaseException:
        con.close()
        raise
    try:
        con.begin()
        for channel in channels:
            for day in days:
                folder = staging_folder(settings.staging_dir, channel, day)
                summary_file = folder / "summary.json"
                # The channel's extract failed before it staged this date (its task says why): the
                # date keeps what it had, and the other channels still load.
                if not summary_file.exists() or dates_with_new_files(
                    settings.landing_dir, settings.staging_dir, channel, [day]
                ):
                    log.warning("%s %s: not staged from the files landed now; left as it was", channel, day)
                    continue
                summary = json.loads(summary_file.read_text(encoding="utf-8"))
                loaded.append(_replace_day(con, channel, day, folder, summary, run_id))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()
    return loaded


def record_publication(days: list[dt.date], settings: Settings, run_id: str | None = None) -> None:
    """Log that the marts of these business dates were just published (dbt built them without error)."""
    con = Connection(settings)
    try:
        ensure_schema(con, list(CHANNELS))
        con.executemany(
            "insert into raw.mart_publications values (?, cast(timezone('UTC', now()) as timestamp), ?)",
            [[day, run_id] for day in days],
        )
    finally:
        con.close()


def _replace_day(con: Connection, channel: str, day: dt.date, folder: Path, summary: dict, run_id: str | None) -> dict:
    table = f"raw.{channel}_complaints"
    columns = ", ".join(CANONICAL_SCHEMA.names)
    qcolumns = ", ".join(QUARANTINE_SCHEMA.names)
    con.execute(f"delete from {table} where partition_date = ?", [day])
    con.execute("delete from raw.quarantine where channel = ? and partition_date = ?", [channel, day])
    con.execute("delete from raw.skipped where channel = ? and partition_date = ?", [channel, day])
    # A day the gate blocked replaces the date with none of its rows: the marts show the channel missing.
    blocked = bool(summary.get("blocked"))
    con.execute(f"create temp table staged as select {columns} from {table} where false")
    if not blocked:
        con.insert_parquet("staged", CANONICAL_SCHEMA.names, folder / "complaints.parquet")
    # A complaint already loaded for another date (an overlapping export) is not loaded twice.
    con.execute(
        f"""
        insert into raw.quarantine ({qcolumns})
        select staged.channel, staged.partition_date, staged.source_file, staged.source_position,
               staged.complaint_id, 'duplicate_id', 'complaint_id', staged.complaint_id,
               'duplicate complaint id ' || staged.complaint_id || ': already loaded for '
                   || cast(loaded.partition_date as varchar) || ' from ' || loaded.source_file,
               to_json(staged)::varchar
        from staged
        inner join {table} as loaded on staged.complaint_id = loaded.complaint_id
        """
    )
    con.execute(
        f"""
        insert into {table} ({columns})
        select {columns} from staged
        where complaint_id not in (select complaint_id from {table})
        """
    )
    con.insert_parquet("raw.quarantine", QUARANTINE_SCHEMA.names, folder / "quarantine.parquet")
    con.insert_parquet("raw.skipped", SKIPPED_SCHEMA.names, folder / "skipped.parquet")
    con.execute("drop table staged")
    counts = con.execute(
        f"""
        select
            (select count(*) from {table} where partition_date = $day),
            (select count(*) from raw.quarantine where channel = $channel and partition_date = $day),
            (select count(*) from raw.skipped where channel = $channel and partition_date = $day)
        """,
        {"day": day, "channel": channel},
    ).fetchone()
    loaded, quarantined, skipped = counts
    withheld = summary.get("loaded", 0) if blocked else 0
    if summary["records_in"] != loaded + quarantined + skipped + withheld:
        raise RuntimeError(
            f"{channel} {day}: {summary['records_in']} records came in but {loaded} loaded + {quarantined} "
            f"quarantined + {skipped} skipped + {withheld} withheld do not add up; nothing was loaded"
        )
    messages = summary.get("blocked") or summary.get("warnings") or None
    con.execute("delete from raw.load_reconciliation where channel = ? and partition_date = ?", [channel, day])
    con.execute(
        """
        insert into raw.load_reconciliation
            (channel, partition_date, files, records_in, loaded, quarantined, skipped, run_id,
             withheld, gate, gate_messages, expectations_failed, loaded_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, cast(timezone('UTC', now()) as timestamp))
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
            "blocked" if blocked else "passed",
            None if messages is None else "\n".join(messages),
            "; ".join(summary.get("expectations_failed", [])) or None,
        ],
    )
    log.info("%s %s: %d loaded, %d quarantined, %d skipped", channel, day, loaded, quarantined, skipped)
    return {
        "channel": channel,
        "partition_date": day.isoformat(),
        "loaded": loaded,
        "quarantined": quarantined,
        "skipped": skipped,
    }
