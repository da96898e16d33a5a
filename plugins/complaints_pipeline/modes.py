"""Embedded or server mode: the one setting ``COMPLAINTS_MODE`` and what it means for Airflow and the warehouse.

================  ===================================  ============================================
                  embedded (default)                   server
================  ===================================  ============================================
warehouse         DuckDB file ``COMPLAINTS_WAREHOUSE``  PostgreSQL ``COMPLAINTS_WAREHOUSE_URL``
Airflow metadata  SQLite in ``AIRFLOW_HOME``           PostgreSQL (database ``airflow``)
executor          LocalExecutor                        CeleryExecutor, Redis broker
================  ===================================  ============================================

Each value is a default: a variable already set (``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``, ...) wins, so a
deployment points the server mode at its own hosts. ``COMPLAINTS_WAREHOUSE_URL=duckdb`` keeps the DuckDB
file in server mode (the writing tasks then go to one Celery queue: ``writer_args``).

``bin/airflow`` runs Airflow's CLI with these settings:
``COMPLAINTS_MODE=server bin/airflow scheduler``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from complaints_pipeline.config import PROJECT_ROOT, TELEMETRY_OFF, Settings, load_settings, mode

SERVER_DEFAULTS = {
    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://postgres@127.0.0.1:5432/airflow",
    "AIRFLOW__CELERY__BROKER_URL": "redis://127.0.0.1:6379/0",
}
EMBEDDED_DEFAULTS = {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor"}
# SQLite metadata takes one writer at a time, and the scheduler, dag-processor, api-server and CLI all write
# it: a writer waits this long for the lock (SQLite's driver gives up after 5 s with "database is locked",
# which failed a backfill being created while the scheduler wrote).
SQLITE_CONNECT_ARGS = {"timeout": 60}
SQLITE_DEFAULTS = {
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "complaints_pipeline.modes.SQLITE_CONNECT_ARGS",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": "complaints_pipeline.modes.SQLITE_CONNECT_ARGS",
}
# What every Airflow process of this project needs whatever the mode (the Makefile sets the same).
PROJECT_DEFAULTS = {
    "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    **TELEMETRY_OFF,
}
WAREHOUSE_POOL = "warehouse"


def airflow_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Airflow's processes in the configured mode: environ plus the mode's defaults."""
    environ = dict(os.environ if environ is None else environ)
    server = mode(environ) == "server"
    defaults = {**PROJECT_DEFAULTS, **(SERVER_DEFAULTS if server else EMBEDDED_DEFAULTS)}
    env = {**defaults, **{k: v for k, v in environ.items() if v}}
    env.setdefault("COMPLAINTS_HOME", str(PROJECT_ROOT / "var"))
    env.setdefault("AIRFLOW_HOME", str(Path(env["COMPLAINTS_HOME"]) / "airflow"))
    if env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "sqlite").startswith("sqlite"):
        env = {**SQLITE_DEFAULTS, **env}
    if server and not environ.get("AIRFLOW__CELERY__RESULT_BACKEND"):
        # Celery keeps task results in the metadata database.
        conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        env["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+postgresql" + conn[conn.index("://") :]
    plugins = str(PROJECT_ROOT / "plugins")
    if plugins not in env.get("PYTHONPATH", "").split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (plugins, env.get("PYTHONPATH")) if p)
    return env


def writer_args(settings: Settings | None = None) -> dict[str, str]:
    """Operator arguments of every task that can write the warehouse.

    DuckDB: one writing process at a time, so the one-slot `warehouse` pool; and the `warehouse` Celery
    queue, which one worker (on the host holding the file) serves, so only that host ever writes it.
    PostgreSQL takes concurrent writers: no pool, any worker.
    """
    settings = settings or load_settings()
    if settings.warehouse_kind != "duckdb":
        return {}
    return {"pool": WAREHOUSE_POOL, "queue": settings.warehouse_queue}


def main(argv: list[str] | None = None) -> None:
    """`bin/airflow ARGS`: Airflow's CLI with the configured mode's settings."""
    args = sys.argv[1:] if argv is None else argv
    try:
        load_settings()  # an unknown COMPLAINTS_MODE or warehouse URL fails here, saying what is expected
    except ValueError as wrong:
        raise SystemExit(f"bin/airflow: {wrong}") from None
    airflow = Path(sys.executable).with_name("airflow")
    os.execve(airflow, [str(airflow), *args], airflow_env())


if __name__ == "__main__":
    main()
