"""
# complaints_intraday

Early warning within the day: every `COMPLAINTS_INTRADAY_MINUTES` (10 by default, from midnight local time), what
landed for today since the last run is loaded, each critical complaint is emailed on its own (the fast lane), and
the complaints received so far today are judged against what is expected by this time of day.

Each run works as of its data interval's end: the files landed by then (a file counts as landed at its
modification time), the complaints received by then. A rerun or a replay sees what a run at that time saw.

1. `new_files`: the channels with files landed for today that the last run did not stage. None: the run
   stops here (the rest is skipped), in about a second.
2. `extract` (one mapped task per such channel): parse and validate the new files with the daily run's parsers
   and Great Expectations suites, quarantining bad records with their reason; the staged day grows by them.
   The day gate, which judges whole days, and the Data Docs wait for the daily run.
3. `load`: replaces today's records of those channels with the staged day, in one transaction, reconciled
   (records in = loaded + quarantined + skipped). The daily run's load after midnight replaces them again with
   the whole day's: nothing is loaded twice.
4. `detect`: dbt builds what the loads changed, `marts.critical_complaints` (the fast lane) and
   `marts.complaint_surges_intraday` (counts so far against the daily model's expectation for today x the
   share of a day's complaints that usually arrives by this time on this weekday).
5. `send_alerts`: each new critical complaint emailed on its own to `complaints_critical_recipients`; each
   intraday surge not alerted yet at its level, by this DAG or `complaints_daily` (ops.alert_log), to the surge
   recipients. A warning that turns critical later in the day alerts once more.

On DuckDB the tasks that write the warehouse share the one-slot `warehouse` pool with `complaints_daily`'s.
A task that fails for good tells the on-call person, as in `complaints_daily`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import (
    CronDataIntervalTimetable,
    DeltaDataIntervalTimetable,
    TriggerRule,
    dag,
    get_current_context,
    task,
)

from complaints_pipeline.config import load_settings
from complaints_pipeline.modes import writer_args

SETTINGS = load_settings()
LOCAL_TZ = SETTINGS.local_tz
WRITER = writer_args(SETTINGS)
EVERY = SETTINGS.intraday_minutes


def notify_on_call(context) -> None:
    from complaints_pipeline.oncall import task_failed

    task_failed(context)


def as_of():
    from complaints_pipeline.intraday import AsOf

    return AsOf.at(get_current_context()["data_interval_end"], LOCAL_TZ)


@dag(
    dag_id="complaints_intraday",
    doc_md=__doc__,
    # On the clock (:00, :10, ...) where the minutes divide an hour; otherwise every so many minutes from midnight.
    schedule=CronDataIntervalTimetable(f"*/{EVERY} * * * *", timezone=LOCAL_TZ)
    if 60 % EVERY == 0
    else DeltaDataIntervalTimetable(timedelta(minutes=EVERY)),
    start_date=pendulum.datetime(2026, 1, 1, tz=LOCAL_TZ),
    catchup=False,  # a missed run's files are read by the next one; a replay of a past day is a backfill
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=max(EVERY * 3, 30)),
    tags=["complaints", "intraday"],
    default_args={
        "owner": "complaints-data",
        "retries": 1,
        "retry_delay": timedelta(seconds=SETTINGS.retry_delay_seconds),
        "on_failure_callback": notify_on_call,
    },
)
def complaints_intraday():
    @task.short_circuit
    def new_files() -> list[str]:
        from complaints_pipeline.intraday import new_channels

        return new_channels(as_of())

    @task(map_index_template="{{ channel }}", multiple_outputs=False)
    def extract(channel: str) -> dict:
        from complaints_pipeline.intraday import extract

        get_current_context()["channel"] = channel  # the mapped task's name in the UI
        return extract(channel, as_of())

    @task(**WRITER, trigger_rule=TriggerRule.ALL_DONE)
    def load(channels: list[str]) -> list[dict]:
        from complaints_pipeline.intraday import load

        return load(channels, as_of(), run_id=get_current_context()["run_id"])

    @task(**WRITER)
    def detect() -> None:
        from complaints_pipeline.intraday import detect

        detect(as_of())

    @task(**WRITER, multiple_outputs=False)
    def send_alerts() -> dict[str, list[str]]:
        from complaints_pipeline.intraday import send_alerts

        return send_alerts(as_of(), run_id=get_current_context()["run_id"])

    channels = new_files()
    extracted = extract.expand(channel=channels)
    loaded = load(channels)
    extracted >> loaded >> detect() >> send_alerts()


complaints_intraday()
