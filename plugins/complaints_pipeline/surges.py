"""The project's surge model on any daily count series: what `complaint_surges_daily` makes of them.

A series file is CSV `date,dimension,value,count` (a regulator's export counted per day, a BI tool's
extract). `score_series` puts the counts into a warehouse of their own as `int_complaints_counted`, with
the settings' holiday calendar, and dbt builds the real model on them; benchmarks/surge_evaluation.py
compares it with the methods outbreak surveillance uses, and the tests check it on series whose answer
is known.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd

from complaints_pipeline import transform, warehouse
from complaints_pipeline.config import Settings
from complaints_pipeline.reference import CHANNELS

LOADED_AT = dt.datetime(2000, 1, 1)
COLUMNS = (
    "surge_date, dimension_name, dimension_value, actual_count, expected_count, actual_to_expected_ratio,"
    " surge_z_score, surge_level, is_surge, is_concentrated, is_new_value, is_holiday, holiday_effect, is_trend"
)


def read_series(path) -> pd.DataFrame:
    """A series file: date, dimension, value, count (every day of its range, zeros included)."""
    counts = pd.read_csv(path, dtype={"dimension": str, "value": str, "count": "int64"}, keep_default_na=False)
    counts["date"] = pd.to_datetime(counts["date"]).dt.date
    return counts


def score_series(settings: Settings, counts: pd.DataFrame, dbt_vars: str | None = None) -> tuple[pd.DataFrame, float]:
    """Build complaint_surges_daily on these counts in the settings' (new, DuckDB) warehouse; its rows and
    dbt's seconds. Every day of the counts' range is a loaded day of every channel."""
    first, last = min(counts["date"]), max(counts["date"])
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    con = warehouse.Connection(settings)
    try:
        warehouse.ensure_schema(con, list(CHANNELS))
    finally:
        con.close()
    con = warehouse.connect(settings.warehouse_path)
    try:
        reconciled = pd.DataFrame(
            [(channel, day, LOADED_AT) for channel in CHANNELS for day in days],
            columns=["channel", "partition_date", "loaded_at"],
        )
        con.register("reconciled", reconciled)
        con.execute(
            "insert into raw.load_reconciliation (channel, partition_date, files, records_in, loaded, quarantined,"
            " skipped, loaded_at) select channel, partition_date, 1, 0, 0, 0, 0, loaded_at from reconciled"
        )
        warehouse.ensure_holidays(con, settings.holiday_country, settings.holiday_subdivision)
        con.execute("create schema if not exists intermediate")
        con.register("counts", counts)
        con.execute(
            """
            create or replace table intermediate.int_complaints_counted as
            select cast(date as date) as complaint_date, dimension || ':' || value as series_key,
                   dimension as dimension_name, value as dimension_value,
                   cast("count" as bigint) as complaint_count, cast(? as timestamp) as loaded_at
            from counts
            """,
            [LOADED_AT],
        )
    finally:
        con.close()
    started = time.perf_counter()
    transform.run_dbt(settings, "seed", "--select", "working_schedule")
    transform.run_dbt(
        settings,
        "run",
        "--select",
        "stg_pipeline__channel_days",
        "stg_pipeline__complaint_date_loads",
        "int_complaint_date_bounds",
        "dates",
        "complaint_surges_daily",
        *(["--vars", dbt_vars] if dbt_vars else []),
    )
    seconds = time.perf_counter() - started
    con = warehouse.connect(settings.warehouse_path, read_only=True)
    try:
        surges = con.execute(f"select {COLUMNS} from marts.complaint_surges_daily order by 2, 3, 1").df()
    finally:
        con.close()
    surges["surge_date"] = pd.to_datetime(surges["surge_date"]).dt.date
    return surges, seconds
