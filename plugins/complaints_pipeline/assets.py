"""The pipeline's Airflow Assets: the raw tables the loader writes and the marts it publishes.

A DAG scheduled on them (`schedule=[MARTS_PUBLISHED]`) runs after every publication. Kept free of heavy
imports: the DAG files import it when they are parsed.
"""

from __future__ import annotations

from airflow.sdk import Asset

from complaints_pipeline.reference import CHANNELS

MARTS = (
    "complaints",
    "complaint_kpis_daily",
    "complaint_kpis_monthly",
    "complaint_root_causes_weekly",
    "complaint_category_pareto_weekly",
    "complaint_surges_daily",
    "complaint_sentiment_daily",
    "complaint_floods_daily",
    "complaint_costs_weekly",
    "customer_segments",
    "complaint_segments_monthly",
    "complaint_backlog_daily",
    "critical_complaints",
    "channel_loads_daily",
    "dates",
    "display_names",
)

RAW_CHANNEL_TABLES = {
    channel: Asset(
        name=f"complaints.raw.{channel}_complaints", uri=f"x-complaints://warehouse/raw/{channel}_complaints"
    )
    for channel in CHANNELS
}
RAW_QUARANTINE = Asset(name="complaints.raw.quarantine", uri="x-complaints://warehouse/raw/quarantine")
RAW_TABLES = [*RAW_CHANNEL_TABLES.values(), RAW_QUARANTINE]


def loaded_by(channel: str) -> list[Asset]:
    """The raw tables a channel's load task updates: its own and the quarantine."""
    return [RAW_CHANNEL_TABLES[channel], RAW_QUARANTINE]


PUBLISHED_MARTS = [
    Asset(name=f"complaints.marts.{mart}", uri=f"x-complaints://published/marts/{mart}", group="complaints_marts")
    for mart in MARTS
]
