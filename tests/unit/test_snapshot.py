"""Publishing the marts for BI tools, on real DuckDB files (tests/e2e holds readers open during a real run)."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from complaints_pipeline import snapshot
from complaints_pipeline.config import load_settings


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    settings = load_settings()
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema marts; create schema raw")
        con.execute("create table marts.kpis as select range as day, range * 0.5 as rate from range(10)")
        con.execute("create table raw.phone_complaints as select 1 as id")  # not a mart: not published
    return settings


def published(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(snapshot.snapshot_path(settings)), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_each_publication_replaces_the_snapshot_whole(settings) -> None:
    assert snapshot.publish(settings, [dt.date(2026, 9, 7)], run_id="run-1") == {"kpis": 10}
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("insert into marts.kpis values (10, 5.0)")
    assert snapshot.publish(settings, [dt.date(2026, 9, 8)], run_id="run-2") == {"kpis": 11}
    assert published(settings, "select count(*), sum(rate) from marts.kpis") == [(11, 27.5)]
    assert published(settings, "select run_id, business_dates from marts.snapshot_info") == [
        ("run-2", [dt.date(2026, 9, 8)])
    ]
    assert published(settings, "select count(*) from duckdb_tables() where schema_name <> 'marts'") == [(0,)]
    current = settings.published_dir / "parquet" / "current"
    assert current.is_symlink()
    assert duckdb.sql(f"select count(*) from '{current / 'kpis.parquet'}'").fetchall() == [(11,)]
    # Nothing half-written is left beside the snapshot.
    assert sorted(p.name for p in settings.published_dir.iterdir()) == ["complaints_marts.duckdb", "parquet"]


def test_old_parquet_versions_are_pruned_to_the_current_and_the_one_before(settings) -> None:
    for n in range(4):
        snapshot.publish(settings, [dt.date(2026, 9, 7)], run_id=f"run-{n}")
    versions = [p for p in (settings.published_dir / "parquet").iterdir() if not p.is_symlink()]
    assert len(versions) == snapshot.KEEP_PARQUET_VERSIONS
    assert (settings.published_dir / "parquet" / "current").resolve() == max(versions)


def test_a_copied_folder_in_place_of_the_link_is_replaced_by_the_link(settings) -> None:
    """`cp -r` of var/ turns the link into a folder: the next publication still switches atomically after."""
    snapshot.publish(settings, [dt.date(2026, 9, 7)], run_id="run-1")
    current = settings.published_dir / "parquet" / "current"
    target = current.resolve()
    current.unlink()
    shutil.copytree(target, current)
    snapshot.publish(settings, [dt.date(2026, 9, 8)], run_id="run-2")
    assert current.is_symlink() and (current / "kpis.parquet").is_file()


def test_a_warehouse_without_marts_publishes_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    settings = load_settings()
    settings.warehouse_path.parent.mkdir(parents=True)
    duckdb.connect(str(settings.warehouse_path)).close()
    with pytest.raises(RuntimeError, match="has no marts to publish: run dbt build first"):
        snapshot.publish(settings, [dt.date(2026, 9, 7)])
    assert not snapshot.snapshot_path(settings).exists()
    assert [p.name for p in settings.published_dir.iterdir()] == ["parquet"]
    assert list((settings.published_dir / "parquet").iterdir()) == []
