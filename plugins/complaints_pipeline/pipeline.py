"""The daily pipeline's stages as the DAG's tasks call them, each keyed on the run's landing dates.

Each function takes plain values (dates as ISO strings) so it can be called from a task, a test or a shell.
"""

from __future__ import annotations

import datetime as dt
import logging

from complaints_pipeline import alerts, data_docs, ingest, loader, report, snapshot, staging, transform
from complaints_pipeline.config import load_settings
from complaints_pipeline.reference import CHANNELS

log = logging.getLogger(__name__)


def resolve_dates(
    start: str | None,
    end: str | None,
    interval_start: dt.datetime | None,
    local_tz: str,
    lookback_days: int = 7,
    run_after: dt.datetime | None = None,
) -> list[str]:
    """The landing dates a run processes.

    The params' range when given, else the day its data interval starts (read in the local time
    zone, where the business day is counted). A run triggered without a logical date (Airflow 3's
    default for `airflow dags trigger` and the UI) has no data interval: it processes the business day
    before the one it runs in, as the schedule would. Plus any of the lookback_days before it whose landed
    files changed since they were staged: a file that lands late for an earlier date is picked up by
    the next run, and that date is replaced whole.
    """
    if interval_start is None:
        if run_after is None:
            raise ValueError("a run with neither a data interval nor run_after: give start_date and end_date")
        interval_start = run_after - dt.timedelta(days=1)
    if start or end:
        first = dt.date.fromisoformat(start or end)
        last = dt.date.fromisoformat(end or start)
        if last < first:
            raise ValueError(f"end_date {last} is before start_date {first}")
    else:
        from zoneinfo import ZoneInfo

        first = last = interval_start.astimezone(ZoneInfo(local_tz)).date()
    days = {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}
    settings = load_settings()
    window = [first - dt.timedelta(days=n) for n in range(lookback_days, 0, -1)]
    for channel in CHANNELS:
        late = staging.dates_with_new_files(settings.landing_dir, settings.staging_dir, channel, window)
        if late:
            log.info("%s: files landed late for %s; those dates are processed again", channel, late)
        days.update(late)
    return [d.isoformat() for d in sorted(days)]


def _days(dates: list[str]) -> list[dt.date]:
    return [dt.date.fromisoformat(d) for d in dates]


def extract_channel(channel: str, dates: list[str]) -> dict:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    return ingest.extract(channel, _days(dates), load_settings())


def load_warehouse(channels: list[str], dates: list[str], run_id: str | None = None) -> list[dict]:
    return loader.load(list(channels), _days(dates), load_settings(), run_id=run_id)


def load_customers(dates: list[str]) -> dict | None:
    """The newest CRM customer export landed for these dates (landing/crm/<date>/), if any, into the warehouse."""
    from complaints_pipeline import customers

    return customers.load(_days(dates), load_settings())


def build_marts(dates: list[str], run_id: str | None = None, full_refresh: bool = False) -> None:
    """dbt build, then log the dates' marts as published (analysis timeliness is measured on that log)."""
    transform.publish(load_settings(), _days(dates), run_id=run_id, full_refresh=full_refresh)


def build_models(full_refresh: bool = False) -> None:
    """The daily run's `dbt build` as one task (the setting dbt_tasks = build): seeds, models and their tests but the
    publication mart; every mart over all history when full_refresh."""
    transform.build(load_settings(), full_refresh=full_refresh)


def record_publication(dates: list[str], run_id: str | None = None) -> None:
    """After dbt build (cosmos's task group): log the dates' marts as published, refresh the mart that reads it."""
    transform.record_publication(load_settings(), _days(dates), run_id=run_id)


def publish_marts(dates: list[str], run_id: str | None = None) -> dict[str, int]:
    """Publish the marts as the read-only snapshot BI tools read; returns each mart's rows."""
    return snapshot.publish(load_settings(), _days(dates), run_id=run_id)


def write_report(run_id: str | None = None) -> str:
    """The run's report from the published marts; returns its path."""
    return str(report.write(load_settings(), run_id=run_id))


def send_surge_alerts(dates: list[str], run_id: str | None = None) -> list[str]:
    """Email every surge dimension of these dates not alerted yet; returns the subjects sent."""
    return [a.subject for a in alerts.send_alerts(_days(dates), load_settings(), run_id=run_id)]


def send_critical_alerts(run_id: str | None = None) -> list[str]:
    """The fast lane: email each critical complaint no run emailed yet, on its own; returns the subjects sent."""
    from complaints_pipeline import critical

    return critical.send(load_settings(), run_id, alerted_by="daily")


def check_run(channels: list[str], dates: list[str], run_id: str, task_states: dict[str, str]) -> dict:
    """The run's outcome (outcome.py): raises RunFailedError naming every channel-day not loaded and every
    failed task; returns the channel-days loaded."""
    from complaints_pipeline import outcome

    result = outcome.judge(load_settings(), list(channels), _days(dates), run_id, task_states)
    if result.problems:
        raise outcome.RunFailedError(result.message(run_id))
    return {"loaded": result.loaded}


def build_data_docs() -> str:
    """Render the Data Docs pages of new validation results and the index; returns the index's path."""
    settings = load_settings()
    return str(data_docs.build(settings, sorted(settings.expectations_dir.glob("*.json"))))


def train_categoriser() -> dict:
    """Retrain the complaint-text classifier on every complaint a person categorised; what it trained."""
    from complaints_pipeline import categoriser

    return categoriser.train(load_settings())
