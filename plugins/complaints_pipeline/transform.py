"""Runs the dbt project against the configured warehouse (seeds, models and their tests).

dbt runs as a child process of the task so its logging and global state stay out of Airflow's.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess

from complaints_pipeline import warehouse
from complaints_pipeline.config import TELEMETRY_OFF, Settings, dbt_target_env
from complaints_pipeline.cosmos_dbt import PUBLICATION_MART, dbt_executable

log = logging.getLogger(__name__)


def dbt_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        **dbt_target_env(settings),
        **TELEMETRY_OFF,
    }


def dbt_command(settings: Settings, *args: str) -> list[str]:
    project = str(settings.dbt_project_dir)
    return [
        str(dbt_executable()),
        *args,
        "--project-dir",
        project,
        "--profiles-dir",
        project,
        "--target-path",
        str(settings.home / "dbt" / "target"),
        "--log-path",
        str(settings.home / "dbt" / "logs"),
    ]


def run_dbt(settings: Settings, *args: str) -> None:
    """Run one dbt command, streaming its output into this task's log; raise if it fails."""
    command = dbt_command(settings, *args)
    log.info("running %s", " ".join(command))
    process = subprocess.Popen(
        command,
        cwd=settings.dbt_project_dir,
        env=dbt_env(settings),
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


def build(settings: Settings, full_refresh: bool = False) -> None:
    run_dbt(settings, "build", "--exclude", PUBLICATION_MART, *(["--full-refresh"] if full_refresh else []))


def publish(settings: Settings, days: list[dt.date], run_id: str | None = None, full_refresh: bool = False) -> None:
    """Build the marts (every date of every mart when full_refresh); once every model and test passed, log
    the dates as published and refresh the one mart that reads that log (analysis timeliness)."""
    build(settings, full_refresh=full_refresh)
    record_publication(settings, days, run_id=run_id)


def record_publication(settings: Settings, days: list[dt.date], run_id: str | None = None) -> None:
    """After a build whose every model and test passed: log the dates as published and refresh the one mart
    that reads that log (analysis timeliness)."""
    warehouse.record_publication(days, settings, run_id=run_id)
    run_dbt(settings, "build", "--select", PUBLICATION_MART)
