"""The marts for BI tools: a read-only snapshot published after each successful dbt build.

The warehouse file has one writer, the pipeline, and DuckDB lets no other process open a file while
one writes it. BI tools therefore never open the warehouse: they read the published snapshot,

- `$COMPLAINTS_HOME/published/complaints_marts.duckdb`: every table of the `marts` schema (same names:
  `marts.complaint_kpis_daily`, ...) and `marts.snapshot_info` (when, by which run, which dates);
- `$COMPLAINTS_HOME/published/parquet/current/<mart>.parquet`: the same tables as Parquet files.

Each publication is written to a new file (a new folder for Parquet) beside the published one and then
renamed over it (the `current` link switched), which is atomic: a reader sees the old snapshot or the new
one, never a half-written one, and a reader that has the old file open keeps reading it undisturbed
until it reconnects. Publishing never waits for readers, and readers never wait for the pipeline.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import uuid
from pathlib import Path

import duckdb

from complaints_pipeline.config import Settings
from complaints_pipeline.sources.base import sql_string
from complaints_pipeline.warehouse import Connection, connect

log = logging.getLogger(__name__)

SNAPSHOT_NAME = "complaints_marts.duckdb"
KEEP_PARQUET_VERSIONS = 2  # the current one and the one before: a reader may still be reading it


def snapshot_path(settings: Settings) -> Path:
    return settings.published_dir / SNAPSHOT_NAME


def publish(settings: Settings, days: list[dt.date], run_id: str | None = None) -> dict[str, int]:
    """Publish the warehouse's marts as a new snapshot; returns the rows of each mart published.

    A PostgreSQL warehouse (server mode) is itself what BI tools read, many at once while dbt writes: its
    marts are published as soon as dbt commits them, and this returns their rows.
    """
    if settings.warehouse_kind == "postgres":
        return _count_marts(settings)
    folder = settings.published_dir
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
    new_file = folder / f".{SNAPSHOT_NAME}.{stamp}.tmp"
    parquet_root = folder / "parquet"
    new_parquet = parquet_root / stamp
    new_parquet.mkdir(parents=True)
    con = connect(new_file, memory_limit=settings.duckdb_memory_limit)
    try:
        con.execute("attach ? as warehouse (read_only)", [str(settings.warehouse_path)])
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'warehouse' and schema_name = 'marts' "
                "order by 1"
            ).fetchall()
        ]
        if not marts:
            raise RuntimeError(f"the warehouse {settings.warehouse_path} has no marts to publish: run dbt build first")
        con.execute("create schema marts")
        rows = {}
        for name in marts:
            con.execute(f'create table marts."{name}" as select * from warehouse.marts."{name}"')
            con.execute(f'copy marts."{name}" to ? (format parquet)', [str(new_parquet / f"{name}.parquet")])
            rows[name] = con.execute(f'select count(*) from marts."{name}"').fetchone()[0]
        _copy_comments(con, marts)
        con.execute("detach warehouse")
        con.execute(
            """
            create table marts.snapshot_info as
            select cast(timezone('UTC', now()) as timestamp) as published_at, ?::varchar as run_id,
                   ?::date[] as business_dates, ?::varchar as source_warehouse
            """,
            [run_id, days, str(settings.warehouse_path)],
        )
        con.execute("checkpoint")  # the file is whole, with no write-ahead log beside it
    except BaseException:
        con.close()
        new_file.unlink(missing_ok=True)
        shutil.rmtree(new_parquet, ignore_errors=True)
        raise
    con.close()
    os.replace(new_file, snapshot_path(settings))
    _switch_link(parquet_root / "current", stamp)
    _prune(parquet_root, keep=KEEP_PARQUET_VERSIONS)
    log.info("published %d marts (%s rows) to %s", len(rows), f"{sum(rows.values()):,}", snapshot_path(settings))
    return rows


def _copy_comments(con: duckdb.DuckDBPyConnection, marts: list[str]) -> None:
    """The warehouse's comments on the marts and their columns (dbt's persist_docs: the yml descriptions),
    on the snapshot's copies: `create table as` carries no comment."""
    tables = con.execute(
        "select table_name, comment from duckdb_tables() where database_name = 'warehouse' and schema_name = 'marts'"
        " and comment is not null"
    ).fetchall()
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() where database_name = 'warehouse'"
        " and schema_name = 'marts' and comment is not null"
    ).fetchall()
    for table, comment in tables:
        if table in marts:
            con.execute(f'comment on table marts."{table}" is {sql_string(comment)}')
    for table, column, comment in columns:
        if table in marts:
            con.execute(f'comment on column marts."{table}"."{column}" is {sql_string(comment)}')


def _count_marts(settings: Settings) -> dict[str, int]:
    with Connection(settings, read_only=True) as con:
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        if not marts:
            raise RuntimeError(f"the warehouse {settings.warehouse_name} has no marts to publish: run dbt build first")
        rows = {name: con.execute(f'select count(*) from marts."{name}"').fetchone()[0] for name in marts}
    log.info("marts in %s: %s", settings.warehouse_name, rows)
    return rows


def _switch_link(link: Path, target: str) -> None:
    """Point link at target in one rename: a reader follows either the old folder or the new one."""
    if link.is_dir() and not link.is_symlink():  # a copy of the folder that followed the link (cp -r)
        log.warning("%s is a folder, not the link publishing sets: replaced by the link", link)
        shutil.rmtree(link)
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}")
    tmp.symlink_to(target)
    os.replace(tmp, link)


def _prune(root: Path, keep: int) -> None:
    current = (root / "current").resolve().name
    versions = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    for old in versions[:-keep]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def describe(settings: Settings) -> dict:
    """What the published snapshot holds, read as a BI tool reads it: run, dates and rows of each mart."""
    path = snapshot_path(settings)
    if not path.exists():
        raise FileNotFoundError(f"no marts published yet at {path}: complaints_daily publishes them")
    with duckdb.connect(str(path), read_only=True) as con:
        published_at, run_id, dates = con.execute(
            "select published_at, run_id, business_dates from marts.snapshot_info"
        ).fetchone()
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' and table_name <> 'snapshot_info' "
            "order by 1"
        ).fetchall()
        rows = {name: con.execute(f'select count(*) from marts."{name}"').fetchone()[0] for (name,) in tables}
    return {
        "published_at": published_at.isoformat(),
        "run_id": run_id,
        "business_dates": [d.isoformat() for d in dates],
        "rows": rows,
    }
