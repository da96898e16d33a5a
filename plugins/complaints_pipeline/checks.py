"""Checks before work: configuration, services, ports and keys, each problem one line saying what to do.

`complaints check` runs them all; `complaints run`, `backfill`, `demo` and `make demo` run the ones a run
needs before starting anything, so a misconfiguration is a line within seconds, not a traceback minutes later.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from complaints_pipeline.config import Settings, mode
from complaints_pipeline.smtp_sink import listening

TIMEOUT = 3.0  # seconds per service probed


def _postgres(url: str, what: str, setting: str) -> list[str]:
    import psycopg

    url = url.replace("postgresql+psycopg2://", "postgresql://")  # Airflow's SQLAlchemy form too
    parts = urlsplit(url)
    host, port, database = parts.hostname or "127.0.0.1", parts.port or 5432, parts.path.lstrip("/")
    if not listening(host, port, TIMEOUT):
        return [f"{what}: nothing listens on {host}:{port}; start PostgreSQL there, or point {setting} elsewhere"]
    try:
        psycopg.connect(url, connect_timeout=int(TIMEOUT)).close()
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        if "does not exist" in reason and "database" in reason:
            return [
                f"{what}: database {database!r} does not exist on {host}:{port}; create it:"
                f" createdb -h {host} -p {port} -U {parts.username or 'postgres'} {database}"
            ]
        return [f"{what}: cannot connect to {host}:{port}/{database} ({reason}); check {setting}"]
    return []


def warehouse(settings: Settings) -> list[str]:
    if settings.warehouse_kind == "postgres":
        return _postgres(settings.warehouse_url, "the warehouse", "COMPLAINTS_WAREHOUSE_URL")
    path = settings.warehouse_path
    if not path.exists():
        return [] if os.access(_existing_parent(path), os.W_OK) else [f"the warehouse {path} cannot be created there"]
    import duckdb

    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.IOException as error:
        held = str(error).split("Conflicting lock is held in")[-1].strip()[:160]
        return [f"the warehouse {path} is held by another process ({held}); wait for it, or stop it"]
    return []


def _existing_parent(path):
    while not path.exists():
        path = path.parent
    return path


def airflow_services(settings: Settings) -> list[str]:
    """Server mode: Airflow's metadata database and the Celery broker."""
    if mode() != "server":
        return []
    from complaints_pipeline.modes import airflow_env

    env = airflow_env()
    problems = _postgres(
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], "Airflow's metadata", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
    )
    broker = urlsplit(env.get("AIRFLOW__CELERY__BROKER_URL", ""))
    if broker.scheme.startswith("redis") and not listening(
        broker.hostname or "127.0.0.1", broker.port or 6379, TIMEOUT
    ):
        problems.append(
            f"the Celery broker: nothing listens on {broker.hostname}:{broker.port or 6379}; start Redis there,"
            " or point AIRFLOW__CELERY__BROKER_URL elsewhere"
        )
    return problems


def mail(settings: Settings) -> list[str]:
    """The SMTP connection's relay reachable; embedded mode without one: the loopback sink's port free."""
    from complaints_pipeline import smtp_sink

    variable = f"AIRFLOW_CONN_{settings.smtp_conn_id.upper()}"
    configured = os.environ.get(variable)
    if configured:
        try:
            conn = json.loads(configured)
            host, port = conn.get("host") or "127.0.0.1", int(conn.get("port") or 25)
        except (ValueError, AttributeError):
            parts = urlsplit(configured)
            host, port = parts.hostname or "127.0.0.1", parts.port or 25
        if not listening(host, port, TIMEOUT):
            return [
                f"the mail relay {host}:{port} ({variable}) does not answer: alerts and on-call emails would fail"
                " (the on-call notice still goes to the task log, $COMPLAINTS_HOME/ops/oncall.sqlite and"
                " COMPLAINTS_ONCALL_NOTIFIER)"
            ]
        return []
    if mode() != "embedded":
        return []  # the deployment's connection is in Airflow's secrets: the alert task reports it
    port = settings.smtp_port
    holder = smtp_sink.port_holder("127.0.0.1", port, timeout=1.0)
    if holder not in (None, smtp_sink.SINK_IDENT):
        return [
            f"port {port} on 127.0.0.1 (the loopback SMTP sink's) is taken by something that is not this project's"
            f" sink ({holder}); free it, or choose another: COMPLAINTS_SMTP_PORT={port + 1} (make demo"
            f" SMTP_PORT={port + 1})"
        ]
    return []


def notifier(settings: Settings) -> list[str]:
    from complaints_pipeline.oncall import notifier_from_settings

    try:
        notifier_from_settings(settings)
    except ValueError as wrong:
        return [str(wrong)]
    return []


def before_run(settings: Settings) -> list[str]:
    return warehouse(settings) + airflow_services(settings) + mail(settings) + notifier(settings)


def everything(settings: Settings) -> list[str]:
    problems = before_run(settings)
    if not settings.landing_dir.exists():
        problems.append(
            f"no landing folder {settings.landing_dir} yet: land files with complaints land, or complaints generate"
        )
    return problems


def exit_on_problems(problems: list[str]) -> None:
    if not problems:
        return
    from rich.console import Console

    console = Console(stderr=True)
    for problem in problems:
        console.print(f"[bold red]complaints:[/] {problem}", highlight=False, soft_wrap=True)
    raise SystemExit(1)
