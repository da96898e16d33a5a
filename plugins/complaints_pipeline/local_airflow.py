"""Airflow's components as local processes on an installation's Airflow home: api-server, dag-processor and
scheduler (and, with the CeleryExecutor, a Celery worker), started as a user would start them.

`airflow dags test` runs a DAG in one process; a backfill (and anything scheduled) needs the scheduler to start its
runs, the api-server whose execution API the tasks report to, and the dag-processor to parse the DAG files. The
intraday replay (benchmarks/intraday_replay.py) and the tests that need a real scheduler run them through this.
The scheduler starts only the runs asked for (backfills, triggers), never the schedule's own, and the REST API
takes every caller as an admin: for a local replay or a test, not for a deployment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

from complaints_pipeline.smtp_sink import free_port

FINISHED = {"success", "failed"}  # a DAG run's final states


def airflow_cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run an Airflow CLI command of this virtualenv; raise with its output's end if it fails (check)."""
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"airflow {args} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


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
        """Every run of the type, oldest first, page by page (the API gives at most 100 at a time)."""
        found: list[dict] = []
        while True:
            page = self.get(
                f"/dags/{dag_id}/dagRuns?run_type={run_type}&order_by=logical_date&limit=100&offset={len(found)}"
            )
            found += page["dag_runs"]
            if not page["dag_runs"] or len(found) >= page["total_entries"]:
                return found

    def backfill(self, dag_id: str, first: datetime, last: datetime) -> None:
        """Airflow's backfill of the DAG over the logical dates, one run at a time; tried again when SQLite's lock
        outlasted the wait (the backfill writes all its runs in one transaction, which rolls back whole)."""
        for attempt in range(3):
            try:
                self.airflow("backfill", "create", "--dag-id", dag_id, "--from-date", first.isoformat(),
                             "--to-date", last.isoformat(), "--max-active-runs", "1")  # fmt: skip
                return
            except RuntimeError as failed:
                if "database is locked" not in str(failed) or attempt == 2:
                    raise
                time.sleep(5)

    def backfill_runs(self, dag_id: str, count: int, timeout: float) -> list[dict]:
        """The DAG's backfill runs, oldest first, once `count` of them finished and every backfill is complete."""

        def done() -> bool:
            runs = self.runs(dag_id, "backfill")
            backfills = self.get(f"/backfills?dag_id={dag_id}")["backfills"]
            complete = all(b["completed_at"] for b in backfills)
            return complete and len(runs) >= count and all(r["state"] in FINISHED for r in runs)

        self.wait(done, timeout, f"{count} backfill runs of {dag_id}")
        return self.runs(dag_id, "backfill")

    def task_instances(self, run: dict) -> list[dict]:
        """The run's task instances (every map index), with their states, start and end."""
        path = f"/dags/{run['dag_id']}/dagRuns/{urllib.parse.quote(run['dag_run_id'])}/taskInstances?limit=1000"
        return self.get(path)["task_instances"]

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
