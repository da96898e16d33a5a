"""
# complaints_categoriser

Retrains, once a week, the classifier that categorises the complaints no person categorised (email,
social): on every complaint whose category a person set (phone agents, web forms, CFPB consumers' Issues
through seed `cfpb_issue_categories`). The new model is saved as a version of its own under
`$COMPLAINTS_HOME/models/categoriser/`, with its held-out macro-F1 and accuracy in `model.json`, and made
current only once saved whole; from then on `complaints_daily`'s loads categorise new texts with it. With
too few categorised complaints it trains nothing and says so; the keyword rules keep categorising.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from complaints_pipeline.modes import writer_args


@dag(
    dag_id="complaints_categoriser",
    doc_md=__doc__,
    schedule="0 3 * * 0",  # Sundays 03:00 UTC, between two daily loads
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["complaints", "categories"],
    default_args={"owner": "complaints-data", "retries": 2},
)
def complaints_categoriser():
    # It reads the warehouse: on DuckDB, in the writers' pool, so no load holds the file meanwhile.
    @task(**writer_args(), multiple_outputs=False)
    def train() -> dict:
        from complaints_pipeline.pipeline import train_categoriser

        return train_categoriser()

    train()


complaints_categoriser()
