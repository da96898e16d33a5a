"""A backfill, one run per day as the schedule runs them, gives the same marts as loading the range at once.

Two installations read the same landed files, each with its own warehouse and Airflow home:
- history: one run over the whole range (the `start_date`/`end_date` params), as `make demo` loads history,
  with `full_refresh`;
- backfill: `airflow backfill create` over the range, run by a real scheduler, dag-processor and
  api-server (LocalExecutor, SQLite metadata): one run per day, each for its own data interval, as the
  daily schedule starts them.
Every mart must hold the same rows in both. (`tests/e2e/test_complaints_daily.py` runs single days with
`airflow dags test`.)
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from services import AirflowServices, Pipeline

from complaints_pipeline.sample_data import generate
from complaints_pipeline.smtp_sink import SmtpSink

pytestmark = pytest.mark.e2e

DAYS = [dt.date(2026, 8, 3) + dt.timedelta(days=n) for n in range(2)]  # Monday and Tuesday
PER_DAY = 300
FINISHED = {"success", "failed"}


@pytest.fixture(scope="module")
def installs(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("backfill")
    landing = root / "landing"
    generate(DAYS[0], DAYS[-1], landing, per_day=PER_DAY, seed=11)
    with SmtpSink(root / "mail") as sink:
        history = Pipeline(root / "history", sink, landing).install()
        # (with full_refresh, which an operator sets after changing a rule: every mart rebuilt whole)
        history.run_dag(
            DAYS[-1] + dt.timedelta(days=1),
            {"start_date": f"{DAYS[0]}", "end_date": f"{DAYS[-1]}", "full_refresh": True},
        )
        dbt_log = (history.home / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
        builds = re.findall(r"'invocation_command': 'dbt build ([^']*)'", dbt_log)
        # cosmos's one build, every mart over all history but the one that reads the publication log, which
        # record_publication then builds once
        assert [b.split(" --project-dir")[0] for b in builds] == [
            "--exclude complaint_kpis_monthly --full-refresh --log-format json",
            "--select complaint_kpis_monthly",
        ]

        backfill = Pipeline(root / "backfill", sink, landing).install()
        # The DAG parsed into the metadata database, unpaused, and the backfill created before the services
        # start: SQLite takes one writer, and a CLI write racing the scheduler's can fail at once with
        # "database is locked" (a reader's lock is not upgraded while another process writes).
        backfill.airflow("dags", "reserialize")
        backfill.airflow("dags", "unpause", "complaints_daily")
        # The dates are the runs' logical dates: local midnight at the start of each day.
        backfill.airflow(
            "backfill",
            "create",
            "--dag-id",
            "complaints_daily",
            "--from-date",
            f"{DAYS[0]}T00:00:00+08:00",
            "--to-date",
            f"{DAYS[-1]}T00:00:00+08:00",
            "--max-active-runs",
            "1",
        )
        with AirflowServices(backfill.env, backfill.home / "services") as airflow:
            airflow.wait(
                lambda: (
                    {r["state"] for r in airflow.runs("complaints_daily", "backfill")} <= FINISHED
                    and len(airflow.runs("complaints_daily", "backfill")) == len(DAYS)
                ),
                900,
                "the backfill's runs to finish",
            )
            backfill.runs = airflow.runs("complaints_daily", "backfill")
        yield history, backfill


def test_the_backfill_runs_one_run_per_day_each_loading_its_own_date(installs) -> None:
    _, backfill = installs
    assert [r["state"] for r in backfill.runs] == ["success"] * len(DAYS)
    starts = [dt.datetime.fromisoformat(r["data_interval_start"]) for r in backfill.runs]
    assert [s.astimezone(dt.timezone(dt.timedelta(hours=8))) for s in starts] == [
        dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone(dt.timedelta(hours=8))) for d in DAYS
    ]
    # Each date's rows were loaded by the run whose data interval is that date: the partition key.
    loaded_by = dict(backfill.query("select distinct partition_date, run_id from raw.load_reconciliation"))
    assert loaded_by == {day: run["dag_run_id"] for day, run in zip(DAYS, backfill.runs, strict=True)}


def test_the_backfill_s_daily_runs_and_the_history_load_give_identical_marts(installs) -> None:
    history, backfill = installs
    expected = mart_rows(backfill)
    assert set(expected) >= {"complaints", "complaint_kpis_daily", "complaint_surges_daily", "complaint_kpis_monthly"}
    assert len(expected["complaints"]) == sum(
        c["generated"] - c["bad"] - c["skipped"] - c["updates"]
        for day in DAYS
        for c in backfill.ground_truth(day)["counts"].values()
    )
    rows = mart_rows(history)
    assert set(rows) == set(expected)
    for mart in expected:
        assert rows[mart] == expected[mart], f"marts.{mart} of the history load differs from the backfill's daily runs'"


# When each row's complaint was loaded: lineage, the one column that must differ between installations.
LINEAGE = {"loaded_at"}


def mart_rows(pipeline: Pipeline) -> dict[str, list[tuple]]:
    """Every row of every mart but its lineage, sorted; doubles rounded to 9 decimals (sums taken in
    another order differ in the last bits)."""
    tables = [t for (t,) in pipeline.query("select table_name from duckdb_tables() where schema_name = 'marts'")]
    rows = {}
    for table in tables:
        columns = pipeline.query(
            "select column_name, data_type from duckdb_columns() where schema_name = 'marts' and table_name = ? "
            "order by column_index",
            [table],
        )
        select = ", ".join(
            f'round("{c}", 9)' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in columns if c not in LINEAGE
        )
        rows[table] = pipeline.query(f'select {select} from marts."{table}" order by all')
    return rows
