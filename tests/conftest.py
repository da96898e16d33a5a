"""Test-wide settings: no telemetry, and an Airflow home of the suite's own, set before Airflow is imported."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from helpers import REPO_ROOT

from complaints_pipeline.config import TELEMETRY_OFF

os.environ.update(
    {
        **TELEMETRY_OFF,
        "TQDM_DISABLE": "1",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        # One key for every installation a test makes, so two of them (DuckDB and PostgreSQL, a backfill and
        # the daily runs) give a customer the same key; test_modes checks the installation's own key.
        "COMPLAINTS_PII_KEY": "a-test-key-for-customer-pseudonyms",
    }
)
# An Airflow home of the suite's own; each xdist worker its own (the Makefile's var/airflow is the demo's).
if "PYTEST_XDIST_WORKER" in os.environ or "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="complaints-airflow-")


@pytest.fixture(scope="session")
def server_services() -> None:
    """Server mode's PostgreSQL and Redis on this machine; the test skips, saying which is missing, without them."""
    from services import server_services_missing

    reason = server_services_missing()
    if reason:
        pytest.skip(f"server mode not tested: {reason}")


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse_settings(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty warehouse of each kind, configured as a user would (COMPLAINTS_HOME, and COMPLAINTS_MODE=server
    with COMPLAINTS_WAREHOUSE_URL for PostgreSQL); yields the settings."""
    from complaints_pipeline.config import load_settings

    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    if request.param == "duckdb":
        yield load_settings()
        return
    request.getfixturevalue("server_services")
    from services import PostgresDatabase

    with PostgresDatabase("complaints_test") as database:
        monkeypatch.setenv("COMPLAINTS_MODE", "server")
        monkeypatch.setenv("COMPLAINTS_WAREHOUSE_URL", database.url)
        yield load_settings()


# The longest files first, so that on the workers (make test: -n 3 --dist loadfile) no long file starts last
# while the others idle; measured by --durations in CI. The rest keep their order.
LONGEST_FIRST = (
    "e2e/test_complaints_daily.py",
    "benchmarks/test_benchmarks_airflow.py",
    "benchmarks/test_benchmarks_run.py",
    "e2e/test_cli.py",
    "server/test_server_mode.py",
    "server/test_cross_adapter.py",
    "e2e/test_complaint_life.py",
    "e2e/test_categoriser.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.path.relative_to(REPO_ROOT / "tests").as_posix()
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)
