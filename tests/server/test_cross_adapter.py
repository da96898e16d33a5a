"""The dbt project builds unchanged on DuckDB and on PostgreSQL, and gives the same marts.

The same generated days are extracted once, then loaded and built on each warehouse exactly as the DAG's
tasks do it (history first, then the next day incremental). Every mart must hold the same rows on both:
the same columns, the same number of rows, equal values, floating-point ones within 1e-9.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from pathlib import Path

import pytest
from conftest import query

from complaints_pipeline import pipeline
from complaints_pipeline.assets import MARTS
from complaints_pipeline.config import load_settings
from complaints_pipeline.ingest import BatchBlockedError
from complaints_pipeline.reference import CHANNELS
from complaints_pipeline.sample_data import Surge, generate

pytestmark = pytest.mark.server

FIRST = dt.date(2026, 8, 24)  # Monday
HISTORY = [FIRST + dt.timedelta(days=n) for n in range(15)]  # two weeks and a day: same-weekday baselines
NEXT_DAY = HISTORY[-1] + dt.timedelta(days=1)
PER_DAY = 150
# The build's own lineage time differs between two builds; every other column must agree.
NOT_COMPARED = {"loaded_at"}


def _configure(monkeypatch: pytest.MonkeyPatch, root: Path, home: str, url: str | None) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(root / home))
    if url:
        monkeypatch.setenv("COMPLAINTS_MODE", "server")
        monkeypatch.setenv("COMPLAINTS_WAREHOUSE_URL", url)
    else:
        monkeypatch.delenv("COMPLAINTS_MODE", raising=False)


def _run(days: list[dt.date], run_id: str, extract: bool) -> None:
    dates = [d.isoformat() for d in days]
    if extract:
        for channel in CHANNELS:
            # as in the DAG: a blocked day is loaded as blocked, the other days as staged
            with contextlib.suppress(BatchBlockedError):
                pipeline.extract_channel(channel, dates)
    pipeline.load_warehouse(list(CHANNELS), dates, run_id=run_id)
    pipeline.build_marts(dates, run_id=run_id)


def _mart(settings, name: str) -> tuple[list[str], list[tuple]]:
    columns = [
        c
        for (c,) in query(
            settings,
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
            "order by ordinal_position",
            [name],
        )
        if c not in NOT_COMPARED
    ]
    rows = query(settings, f"select {', '.join(columns)} from marts.{name}")
    return columns, rows


def _sort_key(row: tuple) -> tuple:
    # Floats last in the key and rounded: the two warehouses' last bits may differ.
    return tuple((1, round(v, 6)) if isinstance(v, float) else (0, v is None, str(v)) for v in row)


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, server_services):
    from services import PostgresDatabase

    root = tmp_path_factory.mktemp("adapters")
    # A surge on the incremental day: four times the usual billing disputes.
    surge = Surge(dimension="category", value="billing_dispute", start=NEXT_DAY, multiplier=4.0)
    generate(HISTORY[0], NEXT_DAY, root / "landing", per_day=PER_DAY, seed=5, surges=[surge])
    with pytest.MonkeyPatch.context() as monkeypatch, PostgresDatabase("complaints_adapters") as database:
        monkeypatch.setenv("COMPLAINTS_LANDING_DIR", str(root / "landing"))
        monkeypatch.setenv("COMPLAINTS_STAGING_DIR", str(root / "staging"))  # extracted once, loaded twice
        settings = {}
        for kind, url in (("duckdb", None), ("postgres", database.url)):
            _configure(monkeypatch, root, kind, url)
            _run(HISTORY, "history", extract=kind == "duckdb")
            _run([NEXT_DAY], "next_day", extract=kind == "duckdb")
            settings[kind] = load_settings()
            assert settings[kind].warehouse_kind == kind
        yield {kind: {name: _mart(s, name) for name in MARTS} for kind, s in settings.items()}


@pytest.mark.parametrize("mart", MARTS)
def test_every_mart_is_the_same_on_duckdb_and_postgres(built, mart: str) -> None:
    duck_columns, duck_rows = built["duckdb"][mart]
    pg_columns, pg_rows = built["postgres"][mart]
    assert duck_columns == pg_columns
    assert len(duck_rows) == len(pg_rows) > 0
    differences = []
    for duck, pg in zip(sorted(duck_rows, key=_sort_key), sorted(pg_rows, key=_sort_key), strict=True):
        for column, a, b in zip(duck_columns, duck, pg, strict=True):
            if not _same(a, b):
                differences.append(
                    f"{column}: duckdb {a!r} postgres {b!r} in {dict(zip(duck_columns, duck, strict=True))}"
                )
    assert not differences, f"{len(differences)} differences, first: " + "\n".join(differences[:5])
    print(f"marts.{mart}: {len(duck_rows)} rows x {len(duck_columns)} columns identical on DuckDB and PostgreSQL")


def test_the_comparison_covered_surges_and_the_incremental_day(built) -> None:
    """The days compared include flagged surges, and the next day's incremental build on both."""
    columns, rows = built["postgres"]["complaint_kpis_daily"]
    dates = {r[columns.index("complaint_date")] for r in rows}
    assert dates == set(HISTORY) | {NEXT_DAY}
    names, surges = built["postgres"]["complaint_surges_daily"]
    flagged = {
        (r[names.index("surge_date")], r[names.index("dimension_name")], r[names.index("dimension_value")])
        for r in surges
        if r[names.index("is_surge")]
    }
    assert (NEXT_DAY, "category", "billing_dispute") in flagged
