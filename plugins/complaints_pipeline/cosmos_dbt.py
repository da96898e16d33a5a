"""The dbt project as Airflow tasks: astronomer-cosmos configuration for complaints_daily (watcher mode).

One producer task runs the single `dbt build` (seeds, models, tests) and publishes each node's result as an
XCom; one sensor per model/seed (and per model's tests) reports that result, so the Airflow graph shows which
model or test failed. Only the producer runs dbt, except when a sensor is retried (or finds the producer
failed or skipped before reaching its node): it then runs `dbt run`/`dbt seed`/`dbt test --select <its node>`
itself. Every one of these tasks can therefore write the warehouse: on DuckDB all of them go into the one-slot
warehouse pool and the warehouse Celery queue (modes.writer_args); on PostgreSQL they run anywhere. The dbt
target is the configured warehouse's (profiles.yml: duckdb or postgres). How dbt is started (its executable,
environment and paths) is transform.py's, the project's one dbt runner: cosmos is configured from it.

Parse time vs run time: the task graph is read from a manifest written by `dbt parse` (no dbt at DAG parse
once it is up to date); everything that depends on COMPLAINTS_HOME (warehouse path, dbt log folder, artifacts)
is read from the environment when the task runs, by `runtime_env`, as `load_settings()` does elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

from complaints_pipeline.config import load_settings
from complaints_pipeline.transform import DAILY_EXCLUDE, PROFILE_NAME, dbt_executable, dbt_settings_env, run_dbt

TARGET_NAME = "duckdb"
# Folders of the dbt project that are dbt's output, not its source: never part of the fingerprint.
_NOT_SOURCE = {"target", "logs", "dbt_packages", "__pycache__"}


def _fingerprint(project: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not _NOT_SOURCE.intersection(relative.parts):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"{dbt_executable()}\0{version('dbt-core')}\0{version('dbt-duckdb')}".encode())
    return digest.hexdigest()[:16]


def dbt_manifest() -> Path:
    """The project's manifest.json, from `dbt parse` when the project's files changed since the last one.

    Kept per content fingerprint under the system temp folder, shared by every process and COMPLAINTS_HOME
    of this checkout: DAG parses cost a file walk, and dbt runs only after an edit. The graph (nodes and
    dependencies) is all cosmos reads from it; dbt builds from the project itself at run time.
    """
    settings = load_settings()
    project = settings.dbt_project_dir
    cache = Path(tempfile.gettempdir()) / "complaints_dbt_manifest" / _fingerprint(project)
    manifest = cache / "manifest.json"
    if manifest.exists():
        return manifest
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="parse-", dir=cache))
    try:
        run_dbt(settings, "parse", "--no-partial-parse", "--quiet", work=work, target=TARGET_NAME)
        os.replace(work / "target" / "manifest.json", manifest)  # atomic: concurrent parses agree
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def runtime_env(context: Any, operator: Any) -> None:
    """Cosmos interceptor, run in the task just before each dbt command: settings from this run's environment."""
    settings = load_settings()
    logs = settings.home / "dbt" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    operator.env = {
        **(operator.env or {}),
        **dbt_settings_env(settings),  # as transform.run_dbt runs dbt
        "DBT_LOG_PATH": str(logs),
        "DBT_LOG_FORMAT_FILE": "text",  # the producer logs JSON to stdout (cosmos parses it); dbt.log stays text
    }


def keep_artifacts(project_dir: str, **_: Any) -> None:
    """Cosmos callback after dbt: copy run_results.json and manifest.json to $COMPLAINTS_HOME/dbt/target, where
    the plain `dbt build` (transform.py) leaves them, and the parse (partial_parse.msgpack), which the run's next
    dbt (record_publication's) then reuses rather than parsing the project again: same profile, target and
    variables, or dbt parses anew. dbt itself writes into cosmos's temporary project copy: --target-path
    elsewhere would hide them from cosmos (compiled SQL, partial-parse cache)."""
    target = load_settings().home / "dbt" / "target"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("run_results.json", "manifest.json", "partial_parse.msgpack"):
        source = Path(project_dir) / "target" / name
        if source.exists():
            shutil.copy2(source, target / name)


def task_group_kwargs(writer: dict[str, str]) -> dict[str, Any]:
    """Arguments of cosmos's DbtTaskGroup for the dbt project (see the module's docstring)."""
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    settings = load_settings()
    project = settings.dbt_project_dir
    operator_args: dict[str, Any] = {
        **writer,  # DuckDB: the warehouse pool and queue (modes.writer_args)
        "install_deps": False,  # no packages.yml; never reach the package hub
        "interceptors": [runtime_env],
        "append_env": True,  # the task's own environment (COMPLAINTS_*, telemetry off) reaches dbt
        # The DAG's param: after a change of rules, every mart rebuilt over all history (`--full-refresh`).
        "full_refresh": "{{ params.full_refresh }}",
        # Sensors: no triggerer needed (deferrable=False), and the pool slot is given back between pokes
        # (reschedule), so the producer is never starved by its own sensors; `airflow dags test` runs them too.
        "deferrable": False,
        "mode": "reschedule",
        "poke_interval": 5,
    }
    return {
        "project_config": ProjectConfig(
            dbt_project_path=project,
            manifest_path=dbt_manifest(),
            install_dbt_deps=False,
        ),
        "profile_config": ProfileConfig(
            profile_name=PROFILE_NAME,
            target_name=settings.warehouse_kind,  # the profile's target of the configured warehouse
            profiles_yml_filepath=project / "profiles.yml",
        ),
        "execution_config": ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            # dbt as a child process, as transform.py runs it: its logging and global state stay out of Airflow's.
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=dbt_executable(),
            # The producer alone. A retried producer never runs dbt again: it restores its XComs and is skipped,
            # and the failed nodes' sensors then run their node on their own retry. So retry it at once, and
            # once: the sensors' first retry already finds it finished (with the DAG's 1-minute exponential
            # delay it would still be waiting, and a sensor could use up its retries before the producer
            # skips). Its artifacts go where the plain `dbt build` leaves them.
            setup_operator_args={
                "retries": 1,
                "retry_delay": timedelta(seconds=1),
                "retry_exponential_backoff": False,
                "callback": keep_artifacts,
            },
        ),
        "render_config": RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            # The publication mart is built once, after record_publication writes the log it reads; the intraday
            # models only by the intraday run (transform.DAILY_EXCLUDE).
            exclude=list(DAILY_EXCLUDE),
            emit_datasets=False,  # no Airflow assets / OpenLineage dataset URIs
        ),
        "operator_args": operator_args,
    }
