"""Every DAG in dags/ imports cleanly, has tags, docs and retries (astro-cli's DagBag test, parametrized)."""

from __future__ import annotations

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


LOADS = {"load_phone", "load_email", "load_web", "load_social"}


def _writers(dag) -> set[str]:
    # cosmos's dbt task group: the producer runs `dbt build`, and every sensor runs its own node on a retry.
    dbt_tasks = {t.task_id for t in dag.tasks if t.task_id.startswith("dbt.") and t.task_type != "EmptyOperator"}
    assert "dbt.dbt_producer_watcher" in dbt_tasks
    # check_run reads the warehouse last: on DuckDB no writer may hold the file meanwhile.
    return LOADS | {"record_publication", "publish_marts", "send_surge_alerts", "check_run"} | dbt_tasks


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
