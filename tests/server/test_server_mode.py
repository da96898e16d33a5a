"""Server mode for real, backfilled as the schedule runs: PostgreSQL metadata, CeleryExecutor with the Redis
broker, the PostgreSQL warehouse.

A scheduler, a dag-processor, an api-server and a Celery worker run against this machine's PostgreSQL and
Redis, configured by COMPLAINTS_MODE=server alone (plus the test's own database names). The operator
backfills two generated days with `complaints backfill`: Airflow's own backfill, one run per day, each for its
own data interval, as the daily schedule starts them. The marts in PostgreSQL must hold the generator's ground
truth, and every row that one load of the whole range into DuckDB gives (the stages called as the DAG's tasks
call them, as `make demo` loads history): the daily runs agree with the history load, across the adapters.
(`tests/server/test_cross_adapter.py` compares the adapters over weeks with surges; `tests/e2e/test_cli.py`
backfills in the default mode, through `airflow dags test`.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import pytest
from marts import assert_same_mart, load_and_build, marts
from services import REDIS_URL, AirflowServices, PostgresDatabase, airflow_cli, complaints_cli

from complaints_pipeline.assets import MARTS
from complaints_pipeline.config import load_settings
from complaints_pipeline.demo import smtp_connection
from complaints_pipeline.local_airflow import FINISHED
from complaints_pipeline.modes import airflow_env
from complaints_pipeline.sample_data import Suspect, generate
from complaints_pipeline.smtp_sink import SmtpSink

pytestmark = [pytest.mark.server, pytest.mark.e2e]

DAYS = [dt.date(2026, 8, 3), dt.date(2026, 8, 4)]  # Monday and Tuesday
PER_DAY = 300
LOCAL = dt.timezone(dt.timedelta(hours=8))  # the default time zone, Asia/Shanghai
# A Redis database of the tests' own, emptied before and after: no stale Celery message reaches the worker.
BROKER_URL = REDIS_URL.rsplit("/", 1)[0] + "/15"


def _flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


@pytest.fixture(scope="module")
def server_run(tmp_path_factory: pytest.TempPathFactory, server_services):
    root = tmp_path_factory.mktemp("server")
    landing = root / "landing"
    # A copy campaign and a flood, so the daily runs' screening is compared too.
    suspects = [
        Suspect("campaign", "social", DAYS[0], complaints=20, start_minute=600, minutes=240),
        Suspect("flood", "phone", DAYS[1], complaints=8, start_minute=600, minutes=120),
    ]
    generate(DAYS[0], DAYS[-1], landing, per_day=PER_DAY, seed=13, suspects=suspects)
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
                # dbt as one task: the sensors of cosmos would be 77 more Celery tasks a day, about 1.6 s each (their
                # server-mode pool and queue: tests/dags; they run under a scheduler in tests/e2e).
                "COMPLAINTS_DBT_TASKS": "build",
            }
        )
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
        airflow_cli(env, "db", "migrate")
        try:
            with AirflowServices(env, root / "services", executor="CeleryExecutor") as airflow:
                airflow.unpause("complaints_daily")
                started = time.monotonic()
                told = complaints_cli(airflow.env, "backfill", str(DAYS[0]), str(DAYS[-1]))
                assert f"Backfill of {len(DAYS)} days created" in told
                # Airflow's backfill makes its runs at once, one per day: the local midnights START to END.
                assert len(airflow.runs("complaints_daily", "backfill")) == len(DAYS)
                airflow.wait(
                    lambda: {r["state"] for r in airflow.runs("complaints_daily", "backfill")} <= FINISHED,
                    900,
                    "the backfill's runs to finish",
                )
                seconds = time.monotonic() - started
                runs = airflow.runs("complaints_daily", "backfill")
                tasks = {run["dag_run_id"]: airflow.task_instances(run) for run in runs}
        finally:
            _flush_broker()
        # The same landed files loaded at once, into a DuckDB warehouse of their own.
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("COMPLAINTS_HOME", str(root / "history"))
            patch.setenv("COMPLAINTS_LANDING_DIR", str(landing))
            patch.delenv("COMPLAINTS_MODE", raising=False)
            load_and_build(DAYS, "history")
            history = marts(load_settings())
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("COMPLAINTS_HOME", str(root / "home"))
            patch.setenv("COMPLAINTS_MODE", "server")
            patch.setenv("COMPLAINTS_WAREHOUSE_URL", warehouse.url)
            daily = marts(load_settings())
        yield {
            "runs": runs,
            "tasks": tasks,
            "seconds": seconds,
            "warehouse": warehouse,
            "metadata": metadata,
            "truth": [json.loads((landing / "_ground_truth" / f"{d}.json").read_text()) for d in DAYS],
            "history": history,
            "daily": daily,
        }


def test_the_backfill_runs_one_run_per_day_on_celery_workers_each_loading_its_own_date(server_run) -> None:
    runs = server_run["runs"]
    failed = {
        run["dag_run_id"]: {t["task_id"]: t["state"] for t in server_run["tasks"][run["dag_run_id"]]}
        for run in runs
        if run["state"] != "success"
    }
    assert [r["state"] for r in runs] == ["success"] * len(DAYS), f"tasks of the failed runs: {failed}"
    # One run per day, for its own data interval: from local midnight to the next.
    assert [dt.datetime.fromisoformat(r["data_interval_start"]).astimezone(LOCAL) for r in runs] == [
        dt.datetime(d.year, d.month, d.day, tzinfo=LOCAL) for d in DAYS
    ]
    # Each date's rows were loaded by the run whose data interval is that date: the partition key.
    loaded_by = dict(
        server_run["warehouse"].query("select distinct partition_date, run_id from raw.load_reconciliation")
    )
    assert loaded_by == {day: run["dag_run_id"] for day, run in zip(DAYS, runs, strict=True)}
    for run in runs:
        tasks = server_run["tasks"][run["dag_run_id"]]
        # Every task ran on the Celery worker, from the default queue: none waits for the DuckDB queue or pool.
        assert {t["queue"] for t in tasks} == {"default"}
        assert {t["pool"] for t in tasks} == {"default_pool"}
        ran = [t for t in tasks if t["operator"] != "EmptyOperator"]  # cosmos's markers never run
        assert [t["task_id"] for t in ran if not t["hostname"]] == []
        assert len([t for t in ran if t["task_id"].startswith("load_")]) == 5  # four channels and the CRM
    print(f"server-mode backfill: {len(runs)} runs of {len(ran)} tasks each in {server_run['seconds']:.0f} s")


def test_the_metadata_database_is_postgresql(server_run) -> None:
    metadata = server_run["metadata"]
    [(runs,)] = metadata.query("select count(*) from dag_run where dag_id = 'complaints_daily' and state = 'success'")
    assert runs == len(DAYS)
    [(celery_results,)] = metadata.query("select count(*) from celery_taskmeta where status = 'SUCCESS'")
    tasks = sum(len(t) for t in server_run["tasks"].values())
    assert celery_results >= tasks - 5 * len(DAYS)  # the worker's results, in the same database


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


@pytest.mark.parametrize("mart", MARTS)
def test_the_daily_runs_give_every_mart_the_history_load_gives(server_run, mart: str) -> None:
    assert_same_mart(
        mart,
        ("the PostgreSQL daily runs", server_run["daily"][mart]),
        ("the DuckDB history load", server_run["history"][mart]),
    )
