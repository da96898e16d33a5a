"""The one dbt runner: how dbt is started (its executable, environment, paths) and the commands run outside cosmos.

Every dbt process of the project starts from here. cosmos's tasks in complaints_daily (cosmos_dbt.py) take the
executable and environment from this module; the publication log's mart, the tests and the benchmarks run their
commands through run_dbt. dbt runs as a child process, so its logging and global state stay out of Airflow's,
through `complaints-dbt` (dbt_guard.py), so a kill of the task stops it too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from complaints_pipeline.config import TELEMETRY_OFF, Settings, dbt_target_env

log = logging.getLogger(__name__)

# The one mart that reads the publication log (raw.mart_publications): built after the log is written, never
# before it (the task group and build() leave it out; record_publication builds it, with its tests), so once
# per run.
PUBLICATION_MART = "complaint_kpis_monthly"
# What the daily build leaves out: the publication log's mart (built after it) and the intraday models, which
# only the intraday run builds, with its as-of time (intraday.py).
DAILY_EXCLUDE = (PUBLICATION_MART, "tag:intraday")
# dbt's unit tests check the models' SQL on fixed rows, not the data: the same on every run, so the production
# builds leave them out (some 0.2 s each, every run) and CI runs them (run_unit_tests, tests/server).
PRODUCTION_ENV = {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}
# profiles.yml's profile. Every command names it and its target as cosmos's do: dbt reuses a parse (its
# partial_parse.msgpack) only for the same profile and target flags, and record_publication's dbt reuses the
# producer's (cosmos_dbt.keep_artifacts) instead of parsing the project again.
PROFILE_NAME = "complaints"


def dbt_executable() -> Path:
    """The dbt of this interpreter's virtualenv (PATH need not include it: the tests call .venv/bin/airflow),
    through `complaints-dbt` (dbt_guard.py) where the project is installed: a kill of the task stops dbt too."""
    guarded = Path(sys.executable).with_name("complaints-dbt")
    return guarded if guarded.exists() else Path(sys.executable).with_name("dbt")


def dbt_settings_env(settings: Settings) -> dict[str, str]:
    """What dbt reads from its environment, derived from the settings: the warehouse target and the business
    calendar (config.dbt_target_env), telemetry off, and no unit tests (PRODUCTION_ENV)."""
    return {**dbt_target_env(settings), **TELEMETRY_OFF, **PRODUCTION_ENV}


def dbt_command(settings: Settings, *args: str, work: Path | None = None, target: str | None = None) -> list[str]:
    """A dbt command line on the project; its artifacts and log under `work` ($COMPLAINTS_HOME/dbt by default);
    the profile's target of the configured warehouse unless `target` names another."""
    project = str(settings.dbt_project_dir)
    work = work or settings.home / "dbt"
    return [
        str(dbt_executable()),
        *args,
        "--project-dir",
        project,
        "--profiles-dir",
        project,
        "--profile",
        PROFILE_NAME,
        "--target",
        target or settings.warehouse_kind,
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]


def run_dbt(
    settings: Settings, *args: str, work: Path | None = None, unit_tests: bool = False, target: str | None = None
) -> None:
    """Run one dbt command, streaming its output into this task's log; raise with its last lines if it fails.
    unit_tests: with dbt's unit tests (production builds leave them out); target: as dbt_command."""
    command = dbt_command(settings, *args, work=work, target=target)
    log.info("running %s", " ".join(command))
    env = {**os.environ, **dbt_settings_env(settings)}
    if unit_tests:
        env = {k: v for k, v in env.items() if k not in PRODUCTION_ENV}
    process = subprocess.Popen(
        command,
        cwd=settings.dbt_project_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    tail: list[str] = []
    for line in process.stdout:
        log.info("dbt: %s", line.rstrip())
        tail = (tail + [line.rstrip()])[-30:]
    if process.wait() != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed (exit {process.returncode}):\n" + "\n".join(tail))


def run_unit_tests(settings: Settings) -> dict[str, str]:
    """The project's dbt unit tests, which production builds leave to CI, on the configured warehouse (its models
    built: dbt reads their columns). Returns each unit test's status; raises if any failed."""
    run_dbt(settings, "test", "--select", "test_type:unit", unit_tests=True)
    results = json.loads((settings.home / "dbt" / "target" / "run_results.json").read_text(encoding="utf-8"))
    return {result["unique_id"]: result["status"] for result in results["results"]}


def build(settings: Settings, full_refresh: bool = False) -> None:
    run_dbt(settings, "build", "--exclude", *DAILY_EXCLUDE, *(["--full-refresh"] if full_refresh else []))


def publish(settings: Settings, days: list[dt.date], run_id: str | None = None, full_refresh: bool = False) -> None:
    """Build the marts (every date of every mart when full_refresh); once every model and test passed, log
    the dates as published and refresh the one mart that reads that log (analysis timeliness)."""
    build(settings, full_refresh=full_refresh)
    record_publication(settings, days, run_id=run_id)


def record_publication(settings: Settings, days: list[dt.date], run_id: str | None = None) -> None:
    """After a build whose every model and test passed: log the dates as published and refresh the one mart
    that reads that log (analysis timeliness)."""
    from complaints_pipeline import warehouse  # duckdb, pyarrow, the parsers: not at the DAG's parse (cosmos_dbt)

    warehouse.record_publication(days, settings, run_id=run_id)
    run_dbt(settings, "build", "--select", PUBLICATION_MART)
