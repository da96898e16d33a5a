"""Every DAG in dags/ imports cleanly, has tags, docs and retries (astro-cli's DagBag test, parametrized)."""

from __future__ import annotations

import pytest
from airflow.dag_processing.dagbag import DagBag
from conftest import REPO_ROOT

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


def test_warehouse_writers_share_one_pool() -> None:
    dag = DAG_BAG.dags["complaints_daily"]
    writers = {t.task_id for t in dag.tasks if t.pool == "warehouse"}
    # cosmos's dbt task group: the producer runs `dbt build`, and every sensor runs its own node on a retry.
    dbt_tasks = {t.task_id for t in dag.tasks if t.task_id.startswith("dbt.") and t.task_type != "EmptyOperator"}
    assert "dbt.dbt_producer_watcher" in dbt_tasks
    assert writers == {"load_warehouse", "record_publication", "publish_marts", "send_surge_alerts"} | dbt_tasks
    extractors = sorted(t.task_id for t in dag.tasks if t.task_id.startswith("extract_"))
    assert extractors == ["extract_email", "extract_phone", "extract_social", "extract_web"]
    assert all(dag.get_task(t).pool != "warehouse" for t in extractors), "extract tasks must not hold the writer slot"


def test_a_downstream_dag_runs_on_the_published_marts() -> None:
    from complaints_pipeline.assets import PUBLISHED_MARTS

    daily = DAG_BAG.dags["complaints_daily"]
    assert set(daily.get_task("publish_marts").outlets) == set(PUBLISHED_MARTS)
    assert {a.name for a in daily.get_task("load_warehouse").outlets} == {
        "complaints.raw.phone_complaints",
        "complaints.raw.email_complaints",
        "complaints.raw.web_complaints",
        "complaints.raw.social_complaints",
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
