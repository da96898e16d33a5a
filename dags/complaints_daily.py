"""
# complaints_daily

Daily complaint load: every channel's landed files for the business date become raw warehouse
rows, dbt builds the KPI, root-cause and surge marts, and a surge emails the service managers.

1. `extract_<channel>` (in parallel): parse the channel's files, validate each record's landed fields
   with the channel's raw contract `expectations/<channel>.json`, each canonical row with
   `expectations/complaints.json` and each day with `expectations/complaints_day.json` (Great
   Expectations suites), stage good rows and quarantined rows as Parquet and store the validation
   results. No warehouse access. A day that fails a critical
   day expectation (no complaints on a working day, too many quarantined, a column gone empty) fails
   the task, without retries, naming the expectation and the figures.
2. `load_<channel>`: loads the channel's staged files into the warehouse, replacing exactly those dates
   (one transaction). It runs once its extract is done, even if it failed: a blocked channel's day is
   recorded as blocked (`raw.load_reconciliation.gate`) with none of its rows; a channel whose extract
   failed keeps what it had, and the other channels load. `load_crm` loads the CRM's customer export, the
   fifth source, where one landed for the dates (`landing/crm/<date>/`): the newest one replaces the customers,
   its bad rows quarantined with their reasons.
3. `build_data_docs`: renders the validation results every extract stored (per suite, channel and
   date) as Great Expectations Data Docs: `$COMPLAINTS_HOME/quality/docs/index.html`.
4. `dbt` (astronomer-cosmos task group, watcher mode): `dbt.dbt_producer_watcher` runs one `dbt build`
   (seeds, models and their tests, but `complaint_kpis_monthly`; the incremental models rebuild only the
   dates loaded since their last build); the sensors `dbt.<model>.run`, `dbt.<model>.test`,
   `dbt.<seed>.seed` (`dbt.<seed>_seed` if untested) report their node's result, and a retried sensor
   runs its node alone. With the setting `dbt_tasks` = `build` (`COMPLAINTS_DBT_TASKS`), one task `dbt_build`
   runs that `dbt build` instead, without the sensors: about 1.5 s less of Airflow per node under a
   scheduler, and a retry runs the whole (incremental) build. Then
   `record_publication` logs the dates as published (`raw.mart_publications`) and builds
   `marts.complaint_kpis_monthly`, whose analysis timeliness is measured on that log.
5. `publish_marts`: copies the marts into a read-only snapshot for BI tools, swapped in atomically
   (`$COMPLAINTS_HOME/published/complaints_marts.duckdb` and `published/parquet/current/`); updates
   the `complaints.marts.*` Assets, which downstream DAGs can be scheduled on.
6. `write_report`: the run's report from the published marts, one self-contained HTML page (KPIs against
   targets, root causes, volume against expected with surges, the open book, data quality):
   `$COMPLAINTS_HOME/published/reports/report-<run id>.html` and `latest.html`.
7. `send_surge_alerts`: one email per date with new surge dimensions, with a chart of each surging series
   and a link to the run's report; each date, dimension and level is alerted exactly once (ops.alert_log),
   across this DAG and `complaints_intraday` (a series the intraday run alerted is listed as already
   alerted; one that rose from warning to critical alerts again), and a failed send is retried, then reported.

8. `send_critical_alerts` (the fast lane, right after dbt): each critical complaint the marts hold (severity 5, or
   its text names a safety hazard, an injury, a fire, legal action, the media or a group complaint: seed
   `critical_keywords`) that no run emailed yet, emailed on its own to `complaints_critical_recipients`; one
   received more than `COMPLAINTS_CRITICAL_LOOKBACK_HOURS` ago (a backfill) is logged, not emailed
   (ops.critical_alert_log). `complaints_intraday` does the same within the day; each is sent once.

9. `check_run` (after everything else, whatever happened): fails the run when any selected channel's date
   was not loaded by it (blocked by the gate, not delivered: no landing folder, its extract or load failed)
   or any task failed, naming each with its figures; the other channels loaded and the marts were built first.

A task that fails for good (after its retries, waiting 1-2 minutes, then 2-4, 4-8, ... at most 30) tells the
on-call person (`oncall.py`): a log line, a row in `$COMPLAINTS_HOME/ops/oncall.sqlite`, an email to
`complaints_oncall_recipients`, and the Airflow notifier `COMPLAINTS_ONCALL_NOTIFIER` where configured. A
channel the gate blocked is told once, by `check_run`.

On a DuckDB warehouse (embedded mode) the tasks that write it, the dbt task group's included, share the
one-slot `warehouse` pool, as DuckDB allows one writing process, and the `warehouse` Celery queue, which
one worker serves. On PostgreSQL (server mode) they run concurrently on any worker.

**Params**: `start_date` / `end_date` (YYYY-MM-DD) process a range instead of the run's date;
`channels` limits the channels; `lookback_days` (default 7): earlier dates whose landed files changed
since they were staged (a file that landed late) are processed again in this run; `full_refresh`
rebuilds every mart over all history (after a change of standards, targets or surge rules).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException
from cosmos import DbtTaskGroup

from complaints_pipeline.assets import PUBLISHED_MARTS, loaded_by
from complaints_pipeline.config import load_settings
from complaints_pipeline.cosmos_dbt import task_group_kwargs
from complaints_pipeline.modes import writer_args
from complaints_pipeline.reference import CHANNELS

SETTINGS = load_settings()  # config.Settings: a wrong value fails the parse in one line naming the setting
LOCAL_TZ = SETTINGS.local_tz
WRITER = writer_args(SETTINGS)  # DuckDB: the one-slot pool and the one worker's queue; PostgreSQL: none
# The first retry's wait; each later one doubles it (with Airflow's jitter). Tests shorten it.
RETRY_DELAY = timedelta(seconds=SETTINGS.retry_delay_seconds)


def notify_on_call(context) -> None:
    from complaints_pipeline.oncall import task_failed

    task_failed(context)


@dag(
    dag_id="complaints_daily",
    doc_md=__doc__,
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone=LOCAL_TZ),
    start_date=pendulum.datetime(2026, 1, 1, tz=LOCAL_TZ),
    # No catch-up run per missed day: the next run picks up the days before it whose files were never
    # staged (lookback_days); a longer gap, or history, is a backfill (docs/operators-guide.md).
    catchup=False,
    max_active_runs=1,
    tags=["complaints", "daily"],
    default_args={
        "owner": "complaints-data",
        "retries": 2,
        "retry_delay": RETRY_DELAY,
        # Airflow waits between base x 2^(try-1) and twice that (its jitter); True would mean a multiplier of 1.
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": notify_on_call,
    },
    params={
        "start_date": Param(None, type=["null", "string"], format="date", description="First landing date"),
        "end_date": Param(None, type=["null", "string"], format="date", description="Last landing date"),
        "channels": Param(list(CHANNELS), type="array", items={"type": "string", "enum": list(CHANNELS)}),
        "lookback_days": Param(7, type="integer", minimum=0, description="Days back to check for late files"),
        "full_refresh": Param(False, type="boolean", description="Rebuild every mart over all history (new rules)"),
    },
)
def complaints_daily():
    @task
    def landing_dates() -> list[str]:
        from complaints_pipeline.pipeline import resolve_dates

        context = get_current_context()
        params = context["params"]
        return resolve_dates(
            params["start_date"],
            params["end_date"],
            context.get("data_interval_start"),  # none when triggered without a logical date
            LOCAL_TZ,
            lookback_days=params["lookback_days"],
            run_after=context["dag_run"].run_after,
        )

    @task(multiple_outputs=True)
    def extract(channel: str, dates: list[str]) -> dict:
        from complaints_pipeline.ingest import BatchBlockedError
        from complaints_pipeline.pipeline import extract_channel

        if channel not in get_current_context()["params"]["channels"]:
            return {"channel": channel, "not_selected": True}
        try:
            return extract_channel(channel, dates)
        except BatchBlockedError as blocked:  # the data is at fault: a retry would block again
            raise AirflowFailException(str(blocked)) from blocked

    @task(**WRITER, trigger_rule=TriggerRule.ALL_DONE)
    def load(channel: str, dates: list[str]) -> list[dict]:
        from complaints_pipeline.pipeline import load_warehouse

        context = get_current_context()
        if channel not in context["params"]["channels"]:
            return []
        return load_warehouse([channel], dates, run_id=context["run_id"])

    @task(**WRITER, multiple_outputs=False)
    def load_crm(dates: list[str]) -> dict | None:
        from complaints_pipeline.pipeline import load_customers

        return load_customers(dates)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def build_data_docs() -> str:
        from complaints_pipeline.pipeline import build_data_docs

        return build_data_docs()

    @task(**WRITER)
    def dbt_build() -> None:
        from complaints_pipeline.pipeline import build_models

        build_models(full_refresh=get_current_context()["params"]["full_refresh"])

    @task(**WRITER)
    def record_publication(dates: list[str]) -> None:
        from complaints_pipeline.pipeline import record_publication

        record_publication(dates, run_id=get_current_context()["run_id"])

    @task(**WRITER, outlets=PUBLISHED_MARTS, multiple_outputs=False)
    def publish_marts(dates: list[str]) -> dict[str, int]:
        from complaints_pipeline.pipeline import publish_marts

        return publish_marts(dates, run_id=get_current_context()["run_id"])

    @task
    def write_report() -> str:
        from complaints_pipeline.pipeline import write_report

        return write_report(run_id=get_current_context()["run_id"])

    @task(**WRITER, retries=4)  # the mail relay gets 1 + 2 + 4 + 8 minutes to come back
    def send_surge_alerts(dates: list[str]) -> list[str]:
        from complaints_pipeline.pipeline import send_surge_alerts

        return send_surge_alerts(dates, run_id=get_current_context()["run_id"])

    @task(**WRITER, retries=4)
    def send_critical_alerts() -> list[str]:
        from complaints_pipeline.pipeline import send_critical_alerts

        return send_critical_alerts(run_id=get_current_context()["run_id"])

    @task(**WRITER, trigger_rule=TriggerRule.ALL_DONE, multiple_outputs=False)
    def check_run(dates: list[str]) -> dict:
        from complaints_pipeline.pipeline import check_run

        context = get_current_context()
        ti, run_id = context["ti"], context["run_id"]
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[run_id]).get(run_id, {})
        try:
            return check_run(context["params"]["channels"], dates, run_id, states)
        except RuntimeError as failed:  # a person must look: retrying finds the same
            raise AirflowFailException(str(failed)) from failed

    dates = landing_dates()
    extracted = [extract.override(task_id=f"extract_{c}")(c, dates) for c in CHANNELS]
    loaded = []
    for channel, extracted_channel in zip(CHANNELS, extracted, strict=True):
        load_channel = load.override(task_id=f"load_{channel}", outlets=loaded_by(channel))(channel, dates)
        extracted_channel >> load_channel
        loaded.append(load_channel)
    loaded.append(load_crm(dates))  # the CRM's customer export, the fifth source
    docs = build_data_docs()
    extracted >> docs
    # One task, or cosmos's producer and a sensor per node (the setting dbt_tasks).
    built = dbt_build() if SETTINGS.dbt_tasks == "build" else DbtTaskGroup(group_id="dbt", **task_group_kwargs(WRITER))
    recorded = record_publication(dates)
    published, alerted = publish_marts(dates), send_surge_alerts(dates)
    critical = send_critical_alerts()
    reported = write_report()
    loaded >> built >> critical
    loaded >> built >> recorded >> [published, alerted]
    published >> reported
    [docs, reported, alerted, critical] >> check_run(dates)


complaints_daily()
