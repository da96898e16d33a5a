"""The connection to the configured warehouse, the DuckDB file (embedded mode) or PostgreSQL (server mode),
and the raw tables' schema. The load itself is loader.py.

On DuckDB one process writes the file at a time (the DAG's `warehouse` pool); on PostgreSQL the channels
load concurrently, each in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from complaints_pipeline import business_calendar
from complaints_pipeline.config import Settings
from complaints_pipeline.reference import CHANNEL_SOURCES, CHANNELS
from complaints_pipeline.sources.base import CANONICAL_SCHEMA, QUARANTINE_SCHEMA, SKIPPED_SCHEMA
from complaints_pipeline.versions import content_hash

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
            self._con = connect(settings.warehouse_path, read_only=read_only, memory_limit=settings.duckdb_memory_limit)
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
        """One statement per row: for a few rows (insert_rows for many)."""
        if self.kind == "duckdb":
            self._con.executemany(sql, rows)
        else:
            with self._con.cursor() as cursor:
                cursor.executemany(self._postgres(sql, [])[0], rows)

    def insert_rows(self, table: str, columns: list[str], rows: list, skip_existing: bool = False) -> None:
        """Insert rows (tuples in the columns' order); skip_existing: a row whose key is there already (or came
        earlier in rows) is left out. On DuckDB the rows go in as one Arrow table: its executemany runs a
        prepared statement per row, some 8 ms each (100,000 texts' scores took minutes)."""
        if not rows:
            return
        names = ", ".join(columns)
        conflict = " on conflict do nothing" if skip_existing else ""
        if self.kind == "duckdb":
            import pyarrow as pa

            values = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
            self._con.register("_inserted_rows", values)
            try:
                self._con.execute(f"insert into {table} ({names}) select {names} from _inserted_rows{conflict}")
            finally:
                self._con.unregister("_inserted_rows")
            return
        marks = ", ".join(["%s"] * len(columns))
        with self._con.cursor() as cursor:
            cursor.executemany(f"insert into {table} ({names}) values ({marks}){conflict}", rows)

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


# The pipeline's own tables (load reconciliation, publications, holidays, ...): their DDL in tables.sql, one
# `create table if not exists` statement each, by table name.
TABLE_DDL: dict[str, str] = {
    re.search(r"create table if not exists ([\w.]+)", statement)[1]: statement
    for statement in (Path(__file__).with_name("tables.sql").read_text(encoding="utf-8").split(";\n"))
    if "create table" in statement
}

# Added with the day gate; a warehouse made before it gains the columns in place.
RECONCILIATION_GATE_COLUMNS = (
    "withheld integer default 0",  # rows that passed row checks, held back by a blocked day
    "gate varchar default 'passed'",  # passed | blocked | not_delivered (no landing folder)
    "gate_messages varchar",  # what blocked, or warned about, the day
    "expectations_failed varchar",  # row-level expectations some row failed, '; '-separated
    # When this load committed (UTC): dbt's incremental models rebuild the dates loaded since their last build.
    "loaded_at timestamp",
    # Loaded versions of complaints that have versions from other dates too: updates, not new complaints.
    "updates integer default 0",
)


def _add_version_columns(con: Connection, table: str) -> None:
    """A raw table made when it held one row per complaint gains the version columns: each row is the one
    version its date's export gave, as of the end of that date."""
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [table.split(".")[1]],
        ).fetchall()
    }
    if "version_at" in existing:
        return
    columns = ("record_source", "version_at timestamp", "version_kind", "content_hash", "loaded_at timestamp")
    for column in columns:
        con.execute(f"alter table {table} add column if not exists {column if ' ' in column else column + ' varchar'}")
    source = CHANNEL_SOURCES[table.split(".")[1].removesuffix("_complaints")]
    con.execute(
        f"update {table} set record_source = '{source}', version_kind = 'snapshot', "
        "version_at = cast(partition_date + 1 as timestamp)"
    )
    con.execute(f"update {table} set content_hash = {content_hash(table)}")


# One row per version of a complaint (versions.py): the canonical columns, what identifies the content, and
# when the load committed (UTC).
VERSIONS_SCHEMA = CANONICAL_SCHEMA.append(pa.field("content_hash", pa.string())).append(
    pa.field("loaded_at", pa.timestamp("us"))
)


def ensure_holidays(con: Connection, country: str, subdivision: str) -> int:
    """Add the holidays of the years from the earliest date loaded (a complaint date, or a landing date) to the
    year after the latest (the models look ahead for deadlines), the years dbt's `dates` spans; returns the
    rows added. Years already there keep their rows."""
    first, last = con.execute(
        "select min(day), max(day) from (select complaint_date as day from raw.load_complaint_dates"
        " union all select partition_date from raw.load_reconciliation) as loaded"
    ).fetchone()
    if first is None:
        return 0
    rows = business_calendar.holiday_rows(country, subdivision, first.year, last.year + 1)
    [(before,)] = con.execute("select count(*) from raw.public_holidays").fetchall()
    con.executemany(  # a few dozen a year; con may be a plain DuckDB connection (surges.score_series)
        "insert into raw.public_holidays (holiday_date, country_code, subdivision_code, holiday_name) "
        "values (?, ?, ?, ?) on conflict do nothing",
        rows,
    )
    [(after,)] = con.execute("select count(*) from raw.public_holidays").fetchall()
    return after - before


def local_date(utc_column: str, tz: str) -> str:
    """An expression: the business date (in time zone tz) of a naive UTC timestamp, as dbt's to_local reads it."""
    zone = tz.replace("'", "")
    return f"cast(({utc_column} at time zone 'UTC') at time zone '{zone}' as date)"


def _ddl(table: str, schema: pa.Schema) -> str:
    columns = ",\n    ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in schema)
    return f"create table if not exists {table} (\n    {columns}\n)"


def temp_table_ddl(table: str, schema: pa.Schema) -> str:
    """A temporary table with the schema's columns, declared (not `create ... as select ... where false`: in a
    transaction, DuckDB 2.0.0 scanned such a table as empty once it held about 122,000 rows)."""
    return _ddl(table, schema).replace("create table if not exists", "create temp table")


def connect(path: Path, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB file; memory_limit: what DuckDB may use before it spills to disk (the setting duckdb_memory_limit)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": memory_limit} if memory_limit else {}
    return duckdb.connect(str(path), read_only=read_only, config=config)


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
        table = f"raw.{channel}_complaints"
        con.execute(_ddl(table, VERSIONS_SCHEMA))
        _add_version_columns(con, table)
    con.execute(_ddl("raw.quarantine", QUARANTINE_SCHEMA))
    con.execute(_ddl("raw.skipped", SKIPPED_SCHEMA))
    for table, ddl in TABLE_DDL.items():
        if table.startswith("raw."):
            con.execute(ddl)
    for column in RECONCILIATION_GATE_COLUMNS:
        con.execute(f"alter table raw.load_reconciliation add column if not exists {column}")


def record_publication(days: list[dt.date], settings: Settings, run_id: str | None = None) -> None:
    """Log that the marts of these business dates were just published (dbt built them without error)."""
    con = Connection(settings)
    try:
        ensure_schema(con, list(CHANNELS))
        [(now,)] = con.execute("select cast(timezone('UTC', now()) as timestamp)").fetchall()
        con.insert_rows(
            "raw.mart_publications", ["business_date", "published_at", "run_id"], [(d, now, run_id) for d in days]
        )
    finally:
        con.close()
