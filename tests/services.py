"""Real Airflow components for the tests that need a scheduler: api-server, dag-processor and scheduler.

`airflow dags test` runs a DAG in one process; a backfill (and anything scheduled) needs the scheduler
to start its runs, the api-server whose execution API the tasks report to, and the dag-processor to
parse the DAG files. They run here as the user would start them, against the given Airflow home.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
from helpers import REPO_ROOT

from complaints_pipeline.demo import smtp_connection
from complaints_pipeline.modes import SQLITE_DEFAULTS
from complaints_pipeline.smtp_sink import SmtpSink, free_port

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


def airflow_cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run an Airflow CLI command of this virtualenv; fail the test with its output's end if it fails (check)."""
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, f"airflow {args} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


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


class AirflowServices:
    """Context manager: api-server, dag-processor and scheduler on the env's Airflow home, and with the
    CeleryExecutor a Celery worker."""

    def __init__(self, env: dict[str, str], logs: Path, executor: str = "LocalExecutor") -> None:
        # Two cores; but a Celery task spends most of its time waiting on the scheduler and the broker, so
        # four at a time keep them busy (memory allows: about 300 MB each).
        parallelism = 4 if executor == "CeleryExecutor" else 2
        self.components = [("api-server",), ("dag-processor",), ("scheduler",)]
        if executor == "CeleryExecutor":
            self.components.append(("celery", "worker", "--concurrency", str(parallelism)))
        port = free_port()
        self.api = f"http://127.0.0.1:{port}/api/v2"
        self.env = {
            **env,
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__CORE__PARALLELISM": str(parallelism),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",  # tasks reach the execution API here
            "AIRFLOW__API_AUTH__JWT_SECRET": "tests-only-jwt-secret-shared-by-every-component",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",  # the tests' REST calls need no token
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__TRIGGERER__TRIGGERER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            # The scheduler starts only the runs asked for (backfills, triggers), not the schedule's catch-up.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        }
        self.logs = logs
        self.processes: list[subprocess.Popen] = []

    def airflow(self, *args: str) -> str:
        return airflow_cli(self.env, *args).stdout

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.api}{path}", timeout=30) as response:
            return json.load(response)

    def request(self, method: str, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            f"{self.api}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def __enter__(self) -> AirflowServices:
        self.logs.mkdir(parents=True, exist_ok=True)
        for component in self.components:
            log = (self.logs / f"{'-'.join(component[:2])}.log").open("ab")
            self.processes.append(
                subprocess.Popen(
                    [str(Path(sys.executable).with_name("airflow")), *component],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stopped with its children
                )
            )
        try:
            self.wait(lambda: self.get("/monitor/health")["metadatabase"]["status"] == "healthy", 120, "api-server")
        except BaseException:
            self.__exit__()
            raise
        return self

    def wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if condition():
                    return
            except OSError:  # not listening yet
                pass
            for process, component in zip(self.processes, self.components, strict=True):
                if process.poll() is not None:
                    name = "-".join(component[:2])
                    raise RuntimeError(f"airflow {' '.join(component)} exited; see {self.logs / (name + '.log')}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s for {what}; logs in {self.logs}")
            time.sleep(1)

    def unpause(self, dag_id: str) -> None:
        """Wait until the dag-processor has parsed the DAG, then unpause it (a paused DAG's runs never start)."""
        self.wait(lambda: self._dag(dag_id) is not None, 180, f"{dag_id} to be parsed")
        self.request("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def _dag(self, dag_id: str) -> dict | None:
        try:
            return self.get(f"/dags/{dag_id}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def runs(self, dag_id: str, run_type: str) -> list[dict]:
        return self.get(f"/dags/{dag_id}/dagRuns?run_type={run_type}&order_by=logical_date&limit=100")["dag_runs"]

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def docs_page(home: Path, suite: str, channel: str, day: dt.date) -> str:
    """The Data Docs page of the newest run of a suite on a channel's day, in an installation's home."""
    folder = home / "quality" / "docs" / "validations" / suite / f"{channel}-{day}"
    newest = max(folder.iterdir())  # run times sort as they happened
    (page,) = newest.glob("*.html")
    return page.read_text(encoding="utf-8")
