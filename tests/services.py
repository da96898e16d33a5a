"""What the tests run the pipeline with: PostgreSQL databases of their own, an installation run by `airflow dags test`
(Pipeline), and the real Airflow components for those that need a scheduler (complaints_pipeline.local_airflow).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
from helpers import REPO_ROOT

from complaints_pipeline.demo import smtp_connection
from complaints_pipeline.local_airflow import AirflowServices, airflow_cli  # noqa: F401 - the tests' import
from complaints_pipeline.modes import SQLITE_DEFAULTS
from complaints_pipeline.smtp_sink import SmtpSink

# Server mode's services: this machine's PostgreSQL (trust auth) and Redis; another host's through these.
PG_ADMIN_URL = os.environ.get("COMPLAINTS_TEST_PG_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = os.environ.get("COMPLAINTS_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


def server_services_missing() -> str | None:
    """Why server mode cannot be tested here (PostgreSQL or Redis not reachable), or None."""
    import psycopg
    import redis

    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL} ({str(error).strip().splitlines()[0]})"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis not reachable at {REDIS_URL} ({error})"
    return None


class PostgresDatabase:
    """Context manager: a new, empty PostgreSQL database (dropped afterwards); `url` connects to it."""

    def __init__(self, prefix: str) -> None:
        import uuid

        self.name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"
        self.sqlalchemy_url = self.url.replace("postgresql://", "postgresql+psycopg2://", 1)

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as con:
            con.execute(sql)

    def __enter__(self) -> PostgresDatabase:
        self._admin(f'create database "{self.name}"')
        return self

    def __exit__(self, *exc) -> None:
        self._admin(f'drop database if exists "{self.name}" with (force)')

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url) as con:
            return con.execute(sql, params).fetchall()


def complaints_cli(env: dict[str, str], *args: str, fails: bool = False) -> str:
    """Run the installed `complaints` command (make setup puts it in the virtualenv) as an operator does; it
    must exit 0, or non-zero when it fails on purpose (fails). Its output, stdout then stderr."""
    command = [str(Path(sys.executable).with_name("complaints")), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert (done.returncode != 0) == fails, f"complaints {' '.join(args)} exited {done.returncode}:\n{output}"
    return output


class Pipeline:
    """One installation of the pipeline: its own COMPLAINTS_HOME and Airflow home (SQLite metadata), mail
    going to the loopback SMTP server, run with `airflow dags test` as a user would."""

    def __init__(self, home: Path, sink: SmtpSink, landing: Path | None = None) -> None:
        self.home = home
        self.sink = sink
        self.landing = landing or home / "landing"
        self.env = {
            **os.environ,
            "COMPLAINTS_HOME": str(home),
            "COMPLAINTS_LANDING_DIR": str(self.landing),
            "AIRFLOW_HOME": str(home / "airflow"),
            "PYTHONPATH": str(REPO_ROOT / "plugins"),
            "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(sink.port, "pipeline@example.com"),
            "AIRFLOW_VAR_COMPLAINTS_ALERT_RECIPIENTS": "managers@example.com",
            "AIRFLOW_VAR_COMPLAINTS_ONCALL_RECIPIENTS": "oncall@example.com",
            "AIRFLOW_VAR_COMPLAINTS_DATA_DOCS_URL": "https://quality.example.com/docs/index.html",
            "COMPLAINTS_RETRY_DELAY_SECONDS": "1",
            **SQLITE_DEFAULTS,  # as bin/airflow sets them for SQLite metadata
        }

    def install(self) -> Pipeline:
        """The metadata database and the warehouse pool, as `make demo` sets them up."""
        self.airflow("db", "migrate")
        self.airflow("pools", "set", "warehouse", "1", "single DuckDB writer")
        return self

    def airflow(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return airflow_cli(self.env, *args, check=check)

    def run_dag(self, logical_date: dt.date, conf: dict | None = None, fails: bool = False) -> str:
        """`airflow dags test`; a run that fails (fails=True) exits non-zero, and one that passes had no task fail."""
        args = ["dags", "test", "complaints_daily", logical_date.isoformat()]
        if conf:
            args += ["--conf", json.dumps(conf)]
        result = self.airflow(*args, check=False)
        output = result.stdout + result.stderr
        assert (result.returncode != 0) == fails, output[-4000:]
        assert fails or "state=failed" not in output, output[-4000:]
        return output

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse" / "complaints.duckdb"), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def ground_truth(self, day: dt.date) -> dict:
        return json.loads((self.landing / "_ground_truth" / f"{day}.json").read_text())

    def mails(self, to: str = "managers@example.com") -> list[email.message.EmailMessage]:
        """The messages the SMTP server received for this address, oldest first."""
        received = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in self.sink.messages()]
        return [m for m in received if m["To"] == to]


def docs_page(home: Path, suite: str, channel: str, day: dt.date) -> str:
    """The Data Docs page of the newest run of a suite on a channel's day, in an installation's home."""
    folder = home / "quality" / "docs" / "validations" / suite / f"{channel}-{day}"
    newest = max(folder.iterdir())  # run times sort as they happened
    (page,) = newest.glob("*.html")
    return page.read_text(encoding="utf-8")
