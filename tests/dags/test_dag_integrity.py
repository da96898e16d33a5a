"""Every DAG in dags/ imports cleanly, has tags, docs and retries (astro-cli's DagBag test, parametrized)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from airflow.dag_processing.dagbag import DagBag
from helpers import REPO_ROOT

# The pools the deployment creates (make demo, docker-compose's airflow-init).
KNOWN_POOLS = {"default_pool", "warehouse"}

DAG_BAG = DagBag(dag_folder=str(REPO_ROOT / "dags"), known_pools=KNOWN_POOLS)


def test_no_import_errors() -> None:
    assert DAG_BAG.import_errors == {}, f"DAG import errors: {DAG_BAG.import_errors}"
    assert "complaints_daily" in DAG_BAG.dag_ids


@pytest.mark.parametrize("dag_id", sorted(DAG_BAG.dag_ids))
def test_dag_has_tags_docs_and_retries(dag_id: str) -> None:
    dag = DAG_BAG.dags[dag_id]
    assert dag.tags, f"{dag_id} has no tags"
    assert dag.doc_md, f"{dag_id} has no doc_md"
    no_retries = [t.task_id for t in dag.tasks if t.retries < 1]
    assert not no_retries, f"{dag_id}: tasks without retries: {no_retries}"


LOADS = {"load_phone", "load_email", "load_web", "load_social", "load_crm"}


def _writers(dag) -> set[str]:
    # cosmos's dbt task group: the producer runs `dbt build`, and every sensor runs its own node on a retry; or,
    # with the setting dbt_tasks = build, the one task dbt_build.
    dbt_tasks = {t.task_id for t in dag.tasks if t.task_id.startswith("dbt") and t.task_type != "EmptyOperator"}
    assert "dbt.dbt_producer_watcher" in dbt_tasks or dbt_tasks == {"dbt_build"}, dbt_tasks
    # check_run reads the warehouse last: on DuckDB no writer may hold the file meanwhile.
    return (
        LOADS
        | {"record_publication", "publish_marts", "send_surge_alerts", "send_critical_alerts", "check_run"}
        | dbt_tasks
    )


def test_duckdb_writers_share_one_pool_and_one_queue() -> None:
    """Embedded mode: one process writes the DuckDB file at a time (the pool), on one host (the queue)."""
    dag = DAG_BAG.dags["complaints_daily"]
    assert {t.task_id for t in dag.tasks if t.pool == "warehouse"} == _writers(dag)
    assert {t.task_id for t in dag.tasks if t.queue == "warehouse"} == _writers(dag)
    extractors = sorted(t.task_id for t in dag.tasks if t.task_id.startswith("extract_"))
    assert extractors == ["extract_email", "extract_phone", "extract_social", "extract_web"]
    assert all(dag.get_task(t).pool != "warehouse" for t in extractors), "extract tasks must not hold the writer slot"
    for channel in ("phone", "email", "web", "social"):
        assert dag.get_task(f"load_{channel}").upstream_task_ids == {f"extract_{channel}", "landing_dates"}


def test_dbt_as_one_task_writes_in_the_pool_between_the_loads_and_the_publication(monkeypatch) -> None:
    """The setting dbt_tasks = build: one task runs `dbt build`, no cosmos sensor, the same writers' rules."""
    monkeypatch.setenv("COMPLAINTS_DBT_TASKS", "build")
    bag = DagBag(dag_folder=str(REPO_ROOT / "dags" / "complaints_daily.py"), known_pools=KNOWN_POOLS)
    assert bag.import_errors == {}
    dag = bag.dags["complaints_daily"]
    assert not [t.task_id for t in dag.tasks if t.task_id.startswith("dbt.")]
    build = dag.get_task("dbt_build")
    assert build.upstream_task_ids == LOADS
    assert build.downstream_task_ids == {"record_publication", "send_critical_alerts"}
    assert {t.task_id for t in dag.tasks if t.pool == "warehouse"} == _writers(dag)
    assert len(dag.tasks) == 18


def test_postgres_writers_run_concurrently_on_any_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Server mode: the PostgreSQL warehouse takes concurrent writers; neither the pool nor the queue applies."""
    monkeypatch.setenv("COMPLAINTS_MODE", "server")
    monkeypatch.setenv("COMPLAINTS_WAREHOUSE_URL", "postgresql://postgres@127.0.0.1:5432/complaints")
    bag = DagBag(dag_folder=str(REPO_ROOT / "dags" / "complaints_daily.py"), known_pools=KNOWN_POOLS)
    assert bag.import_errors == {}
    dag = bag.dags["complaints_daily"]
    for task_id in _writers(dag):
        task = dag.get_task(task_id)
        assert (task.pool, task.queue) == ("default_pool", "default"), task_id
    # With the DuckDB file kept in server mode, the writers go back to the pool and the queue.
    monkeypatch.setenv("COMPLAINTS_WAREHOUSE_URL", "duckdb")
    dag = DagBag(dag_folder=str(REPO_ROOT / "dags" / "complaints_daily.py"), known_pools=KNOWN_POOLS).dags[
        "complaints_daily"
    ]
    assert {t.task_id for t in dag.tasks if t.queue == "warehouse"} == _writers(dag)


def test_the_categoriser_retrains_weekly_in_the_writers_pool() -> None:
    """It reads the warehouse: on DuckDB no load may hold the file meanwhile."""
    dag = DAG_BAG.dags["complaints_categoriser"]
    train = dag.get_task("train")
    assert (train.pool, train.queue) == ("warehouse", "warehouse")
    assert dag.schedule == "0 3 * * 0"  # weekly, Sundays


def test_a_downstream_dag_runs_on_the_published_marts() -> None:
    from complaints_pipeline.assets import PUBLISHED_MARTS

    daily = DAG_BAG.dags["complaints_daily"]
    assert set(daily.get_task("publish_marts").outlets) == set(PUBLISHED_MARTS)
    assert {a.name for a in daily.get_task("load_web").outlets} == {
        "complaints.raw.web_complaints",
        "complaints.raw.quarantine",
    }
    downstream = DAG_BAG.dags["complaints_marts_published"]
    condition = downstream.timetable.asset_condition  # all of them: a run once every mart was published anew
    assert type(condition).__name__ == "AssetAll" and list(condition.objects) == list(PUBLISHED_MARTS)


def test_missed_days_are_left_to_the_lookback_and_backfills() -> None:
    """Unpausing a new deployment must not start a run for every day since the start date."""
    dag = DAG_BAG.dags["complaints_daily"]
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.params["lookback_days"] == 7


def test_the_intraday_run_writes_in_the_daily_runs_pool_on_its_schedule() -> None:
    """Every 10 minutes on the clock; its writers share the daily run's one DuckDB slot; the extracts do not hold
    it; nothing after the first task runs when no new file landed (a short circuit)."""
    dag = DAG_BAG.dags["complaints_intraday"]
    assert dag.timetable.expression == "*/10 * * * *"
    assert dag.catchup is False and dag.max_active_runs == 1
    assert {t.task_id for t in dag.tasks if t.pool == "warehouse"} == {"load", "detect", "send_alerts"}
    assert {t.task_id for t in dag.tasks if t.queue == "warehouse"} == {"load", "detect", "send_alerts"}
    assert dag.get_task("new_files").task_type == "_ShortCircuitDecoratedOperator"
    assert dag.get_task("new_files").downstream_task_ids == {"extract", "load"}
    assert dag.get_task("send_alerts").upstream_task_ids == {"detect"}


def test_the_intraday_schedule_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_INTRADAY_MINUTES", "7")  # not a divisor of an hour: every 7 minutes
    bag = DagBag(dag_folder=str(REPO_ROOT / "dags" / "complaints_intraday.py"), known_pools=KNOWN_POOLS)
    assert bag.import_errors == {}
    assert bag.dags["complaints_intraday"].timetable.delta == timedelta(minutes=7)
    monkeypatch.setenv("COMPLAINTS_INTRADAY_MINUTES", "15")
    bag = DagBag(dag_folder=str(REPO_ROOT / "dags" / "complaints_intraday.py"), known_pools=KNOWN_POOLS)
    assert bag.dags["complaints_intraday"].timetable.expression == "*/15 * * * *"


# What the stages import, never the DAGs' parse: DuckDB, Great Expectations, pandas and the stages' modules.
STAGE_IMPORTS = ("duckdb", "great_expectations", "pandas") + tuple(
    f"complaints_pipeline.{module}" for module in ("warehouse", "sources", "ingest", "loader", "quality", "snapshot")
)


def test_parsing_the_dags_imports_no_stage_s_libraries() -> None:
    """Under a scheduler every task process parses its DAG file again (cosmos's sensors: some 80 a run), so the
    parse imports only what wires the tasks: none of STAGE_IMPORTS."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import complaints_daily, complaints_intraday; "
        f"print(sorted(m for m in sys.modules if m.partition('.')[0] in {{'duckdb', 'great_expectations', 'pandas'}} "
        f"or m.startswith({STAGE_IMPORTS[3:]!r})))"
    )
    parsed = subprocess.run([sys.executable, "-c", code, str(REPO_ROOT / "dags")], capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stderr[-3000:]
    assert parsed.stdout.splitlines()[-1] == "[]"  # after Airflow's and cosmos's log lines
