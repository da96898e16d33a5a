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


def _complaints(settings, *statements: str) -> None:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        for statement in statements:
            con.execute(statement)


def test_a_keyed_mart_has_only_its_changed_rows_replaced(settings, caplog) -> None:
    _complaints(
        settings,
        "create table marts.complaints as select 'C' || range as complaint_id, 'open' as status, range * 10 as cost"
        " from range(5)",
    )
    snapshot.publish(settings, [dt.date(2026, 9, 7)], run_id="run-1")
    # The next day: C1 resolved, C3 gone (a complaint whose versions vanished), C5 new; C0, C2, C4 as they were.
    _complaints(
        settings,
        "update marts.complaints set status = 'resolved' where complaint_id = 'C1'",
        "delete from marts.complaints where complaint_id = 'C3'",
        "insert into marts.complaints values ('C5', 'open', 50)",
        "insert into marts.kpis values (10, 5.0)",
    )
    with caplog.at_level("INFO", logger="complaints_pipeline.snapshot"):
        rows = snapshot.publish(settings, [dt.date(2026, 9, 8)], run_id="run-2")
    assert rows == {"complaints": 5, "kpis": 11}
    assert "complaints: 3 of its 5 rows replaced, the rest kept from the last publication" in caplog.text
    assert published(settings, "select * from marts.complaints order by 1") == [
        ("C0", "open", 0),
        ("C1", "resolved", 10),
        ("C2", "open", 20),
        ("C4", "open", 40),
        ("C5", "open", 50),
    ]
    assert published(settings, "select count(*), sum(rate) from marts.kpis") == [(11, 27.5)]  # copied whole
    current = settings.published_dir / "parquet" / "current"
    assert duckdb.sql(f"select count(*) from '{current / 'complaints.parquet'}'").fetchall() == [(5,)]
    assert published(settings, "select run_id from marts.snapshot_info") == [("run-2",)]


def test_a_keyed_mart_whose_columns_changed_or_with_rows_without_key_is_copied_whole(settings, caplog) -> None:
    _complaints(settings, "create table marts.complaints as select 'C' || range as complaint_id from range(3)")
    snapshot.publish(settings, [dt.date(2026, 9, 7)], run_id="run-1")
    _complaints(settings, "alter table marts.complaints add column status varchar default 'open'")
    with caplog.at_level("INFO", logger="complaints_pipeline.snapshot"):
        snapshot.publish(settings, [dt.date(2026, 9, 8)], run_id="run-2")
    assert "rows replaced" not in caplog.text
    assert published(settings, "select status, count(*) from marts.complaints group by 1") == [("open", 3)]

    _complaints(settings, "insert into marts.complaints values (null, 'open')")
    caplog.clear()
    with caplog.at_level("INFO", logger="complaints_pipeline.snapshot"):
        snapshot.publish(settings, [dt.date(2026, 9, 9)], run_id="run-3")
    assert "rows replaced" not in caplog.text
    assert published(settings, "select count(*), count(complaint_id) from marts.complaints") == [(4, 3)]


def test_a_snapshot_of_another_warehouse_is_not_kept(settings, tmp_path, monkeypatch) -> None:
    _complaints(settings, "create table marts.complaints as select 'C' || range as complaint_id from range(3)")
    snapshot.publish(settings, [dt.date(2026, 9, 7)], run_id="run-1")
    other = tmp_path / "other.duckdb"
    shutil.copyfile(settings.warehouse_path, other)
    with duckdb.connect(str(other)) as con:
        con.execute("drop table marts.kpis")
        con.execute("delete from marts.complaints where complaint_id = 'C0'")
    monkeypatch.setenv("COMPLAINTS_WAREHOUSE", str(other))
    snapshot.publish(load_settings(), [dt.date(2026, 9, 8)], run_id="run-2")
    assert published(settings, "select table_name from duckdb_tables() order by 1") == [
        ("complaints",),
        ("snapshot_info",),
    ]
    assert published(settings, "select count(*) from marts.complaints") == [(2,)]


def test_each_keyed_mart_is_unique_and_not_null_on_its_key_in_the_models() -> None:
    import yaml
    from helpers import REPO_ROOT

    models = yaml.safe_load((REPO_ROOT / "dbt_project/models/marts/_marts__models.yml").read_text())["models"]
    tests = {
        (model["name"], column["name"]): {
            t if isinstance(t, str) else next(iter(t)) for t in column.get("data_tests") or []
        }
        for model in models
        for column in model.get("columns", [])
    }
    for mart, key in snapshot.KEYED_MARTS.items():
        assert {"unique", "not_null"} <= tests[(mart, key)], (mart, key)
