"""The dbt project builds unchanged on DuckDB and on PostgreSQL, and gives the same marts.

The same generated days are extracted once, then loaded and built on each warehouse exactly as the DAG's
tasks do it (history first, then the next day incremental). Every mart must hold the same rows on both:
the same columns, the same number of rows, equal values, floating-point ones within 1e-9.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from helpers import REPO_ROOT
from marts import assert_same_mart, load_and_build, marts
from marts import mart as mart_rows

from complaints_pipeline import intraday, transform
from complaints_pipeline.assets import MARTS
from complaints_pipeline.config import load_settings
from complaints_pipeline.sample_data import Surge, Suspect, generate

pytestmark = pytest.mark.server

# Built by the intraday run only: compared too, as of noon of the next day.
INTRADAY_MARTS = ("complaint_surges_intraday",)

FIRST = dt.date(2026, 8, 24)  # Monday
HISTORY = [FIRST + dt.timedelta(days=n) for n in range(15)]  # two weeks and a day: same-weekday baselines
NEXT_DAY = HISTORY[-1] + dt.timedelta(days=1)
PER_DAY = 150


def _configure(monkeypatch: pytest.MonkeyPatch, root: Path, home: str, url: str | None) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(root / home))
    if url:
        monkeypatch.setenv("COMPLAINTS_MODE", "server")
        monkeypatch.setenv("COMPLAINTS_WAREHOUSE_URL", url)
    else:
        monkeypatch.delenv("COMPLAINTS_MODE", raising=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, server_services):
    from services import PostgresDatabase

    root = tmp_path_factory.mktemp("adapters")
    # A surge on the incremental day: four times the usual billing disputes.
    surge = Surge(dimension="category", value="billing_dispute", start=NEXT_DAY, multiplier=4.0)
    # A flood and a copy campaign in the history, so the screening compares on both.
    suspects = [
        Suspect("flood", "phone", HISTORY[9], complaints=8, start_minute=600, minutes=120),
        Suspect("campaign", "web", HISTORY[10], complaints=20, start_minute=600, minutes=240, letter=1),
    ]
    generate(HISTORY[0], NEXT_DAY, root / "landing", per_day=PER_DAY, seed=5, surges=[surge], suspects=suspects)
    with pytest.MonkeyPatch.context() as monkeypatch, PostgresDatabase("complaints_adapters") as database:
        monkeypatch.setenv("COMPLAINTS_LANDING_DIR", str(root / "landing"))
        monkeypatch.setenv("COMPLAINTS_STAGING_DIR", str(root / "staging"))  # extracted once, loaded twice
        settings, unit_tests = {}, {}
        for kind, url in (("duckdb", None), ("postgres", database.url)):
            _configure(monkeypatch, root, kind, url)
            load_and_build(HISTORY, "history", extract=kind == "duckdb")
            load_and_build([NEXT_DAY], "next_day", extract=kind == "duckdb")
            settings[kind] = load_settings()
            assert settings[kind].warehouse_kind == kind
            # The intraday build as of noon of the next day (its records all loaded), as complaints_intraday runs it.
            noon = dt.datetime.combine(NEXT_DAY, dt.time(12), ZoneInfo(settings[kind].local_tz))
            intraday.detect(intraday.AsOf.at(noon, settings[kind].local_tz), settings[kind])
            # dbt's unit tests, which the production builds leave to CI, on the built warehouse.
            unit_tests[kind] = transform.run_unit_tests(settings[kind])
        yield {kind: marts(s) | {m: mart_rows(s, m) for m in INTRADAY_MARTS} for kind, s in settings.items()} | {
            "unit_tests": unit_tests
        }


@pytest.mark.parametrize("mart", [*MARTS, *INTRADAY_MARTS])
def test_every_mart_is_the_same_on_duckdb_and_postgres(built, mart: str) -> None:
    assert_same_mart(mart, ("DuckDB", built["duckdb"][mart]), ("PostgreSQL", built["postgres"][mart]))


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


def test_every_dbt_unit_test_passes_on_both_warehouses(built) -> None:
    """The production builds leave dbt's unit tests out (transform.PRODUCTION_ENV); here each one runs, on both."""
    defined = set()
    for path in (REPO_ROOT / "dbt_project" / "models").rglob("*.yml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        defined |= {(test["model"], test["name"]) for test in document.get("unit_tests", [])}
    assert len(defined) >= 20
    for kind in ("duckdb", "postgres"):
        statuses = built["unit_tests"][kind]
        assert {(uid.split(".")[-2], uid.split(".")[-1]) for uid in statuses} == defined, kind
        assert set(statuses.values()) == {"pass"}, (kind, statuses)
