"""
# complaints_marts_published

An example of a DAG scheduled on the pipeline's Assets: it runs each time `complaints_daily` publishes
the marts for BI tools (the `complaints.marts.*` Assets), reads the published snapshot as a BI tool
does (read-only, never the warehouse) and logs what it holds: the run, the business dates and each
mart's rows. Put a dashboard cache refresh or an extract for another system here.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from complaints_pipeline.assets import PUBLISHED_MARTS


@dag(
    dag_id="complaints_marts_published",
    doc_md=__doc__,
    schedule=PUBLISHED_MARTS,  # a run once every mart has been published again
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["complaints", "bi"],
    default_args={"owner": "complaints-data", "retries": 2},
)
def complaints_marts_published():
    @task(multiple_outputs=False)
    def describe_snapshot() -> dict:
        from complaints_pipeline.config import load_settings
        from complaints_pipeline.snapshot import describe

        return describe(load_settings())

    describe_snapshot()


complaints_marts_published()
