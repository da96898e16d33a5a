"""Server mode for real: PostgreSQL metadata, CeleryExecutor with the Redis broker, the PostgreSQL warehouse.

A scheduler, a dag-processor, an api-server and a Celery worker run against this machine's PostgreSQL and
Redis, configured by COMPLAINTS_MODE=server alone (plus the test's own database names). The test triggers
complaints_daily over generated days, waits for it to succeed and checks the marts in PostgreSQL against
the generator's ground truth.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import urllib.parse

import pytest
from services import REDIS_URL, AirflowServices, PostgresDatabase, airflow_cli

from complaints_pipeline.demo import smtp_connection
from complaints_pipeline.modes import airflow_env
from complaints_pipeline.sample_data import generate
from complaints_pipeline.smtp_sink import SmtpSink

pytestmark = [pytest.mark.server, pytest.mark.e2e]

DAYS = [dt.date(2026, 8, 3), dt.date(2026, 8, 4)]  # Monday and Tuesday
PER_DAY = 300
# A Redis database of the tests' own, emptied before and after: no stale Celery message reaches the worker.
BROKER_URL = REDIS_URL.rsplit("/", 1)[0] + "/15"


def _flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


@pytest.fixture(scope="module")
def server_run(tmp_path_factory: pytest.TempPathFactory, server_services):
    root = tmp_path_factory.mktemp("server")
    landing = root / "landing"
    generate(DAYS[0], DAYS[-1], landing, per_day=PER_DAY, seed=13)
    _flush_broker()
    with (
        PostgresDatabase("complaints_airflow") as metadata,
        PostgresDatabase("complaints_server") as warehouse,
        SmtpSink(root / "mail") as sink,
    ):
        # The user's settings: server mode, and where this installation's databases and files are.
        env = airflow_env(
            {
                **os.environ,
                "COMPLAINTS_MODE": "server",
                "COMPLAINTS_HOME": str(root / "home"),
                "COMPLAINTS_LANDING_DIR": str(landing),
                "COMPLAINTS_WAREHOUSE_URL": warehouse.url,
                "AIRFLOW_HOME": str(root / "airflow"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata.sqlalchemy_url,
                "AIRFLOW__CELERY__BROKER_URL": BROKER_URL,
                "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(sink.port, "pipeline@example.com"),
                "AIRFLOW_VAR_COMPLAINTS_ALERT_RECIPIENTS": "managers@example.com",
                "COMPLAINTS_RETRY_DELAY_SECONDS": "1",
            }
        )
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
        airflow_cli(env, "db", "migrate")
        try:
            with AirflowServices(env, root / "services", executor="CeleryExecutor") as airflow:
                airflow.unpause("complaints_daily")
                started = time.monotonic()
                run = airflow.request(
                    "POST",
                    "/dags/complaints_daily/dagRuns",
                    {
                        "logical_date": f"{DAYS[-1] + dt.timedelta(days=1)}T00:00:00+08:00",
                        "conf": {"start_date": f"{DAYS[0]}", "end_date": f"{DAYS[-1]}"},
                    },
                )
                path = f"/dags/complaints_daily/dagRuns/{urllib.parse.quote(run['dag_run_id'])}"
                airflow.wait(lambda: airflow.get(path)["state"] in {"success", "failed"}, 900, "the run to finish")
                seconds = time.monotonic() - started
                tasks = airflow.get(f"{path}/taskInstances?limit=200")["task_instances"]
                yield {
                    "run": airflow.get(path),
                    "tasks": {t["task_id"]: t for t in tasks},
                    "seconds": seconds,
                    "warehouse": warehouse,
                    "truth": [json.loads((landing / "_ground_truth" / f"{d}.json").read_text()) for d in DAYS],
                    "metadata": metadata,
                }
        finally:
            _flush_broker()


def test_complaints_daily_succeeds_on_celery_workers(server_run) -> None:
    tasks = server_run["tasks"]
    failed = {t: i["state"] for t, i in tasks.items() if i["state"] != "success"}
    assert server_run["run"]["state"] == "success", f"tasks not successful: {failed}"
    # Every task ran on the Celery worker, from the default queue: no task waits for the DuckDB queue or pool.
    assert {i["queue"] for i in tasks.values()} == {"default"}
    assert {i["pool"] for i in tasks.values()} == {"default_pool"}
    ran = {t: i for t, i in tasks.items() if i["operator"] != "EmptyOperator"}  # cosmos's markers never run
    assert {t for t, i in ran.items() if not i["hostname"]} == set()
    loads = sorted((i["start_date"], i["end_date"], t) for t, i in ran.items() if t.startswith("load_"))
    assert len(loads) == 4
    overlapping = sum(a[1] > b[0] for a, b in zip(loads, loads[1:], strict=False))
    print(
        f"server-mode run: {len(ran)} tasks ran in {server_run['seconds']:.0f} s; {overlapping} load pairs overlapped"
    )


def test_the_metadata_database_is_postgresql(server_run) -> None:
    metadata = server_run["metadata"]
    [(runs,)] = metadata.query("select count(*) from dag_run where dag_id = 'complaints_daily' and state = 'success'")
    assert runs == 1
    [(celery_results,)] = metadata.query("select count(*) from celery_taskmeta where status = 'SUCCESS'")
    assert celery_results >= len(server_run["tasks"]) - 5  # the worker's results, in the same database


def test_the_marts_are_in_the_postgresql_warehouse(server_run) -> None:
    warehouse = server_run["warehouse"]
    for day, truth in zip(DAYS, server_run["truth"], strict=True):
        expected = sum(c["generated"] - c["bad"] - c["skipped"] - c["updates"] for c in truth["counts"].values())
        [(loaded,)] = warehouse.query("select count(*) from marts.complaints where complaint_date = %s", [day])
        [(total,)] = warehouse.query(
            "select complaint_count from marts.complaint_kpis_daily where complaint_date = %s "
            "and dimension_name = 'total'",
            [day],
        )
        assert loaded == total == expected, (day, loaded, total, expected)
    [(published,)] = warehouse.query("select count(distinct business_date) from raw.mart_publications")
    assert published == len(DAYS)
    tables = {
        t for (t,) in warehouse.query("select table_name from information_schema.tables where table_schema = 'marts'")
    }
    assert {"complaint_kpis_daily", "complaint_kpis_monthly", "complaint_surges_daily"} <= tables
