"""The loader at volume: a channel-day of 300,000 records loads whole, and its next day's overlapping export
is judged record by record (new versions, unchanged copies, an id of another customer).

With DuckDB 2.0.0 the old loader refused any channel-day of about 122,000 records or more (a temporary table
made by `create ... as select ... where false` and filled in the transaction scanned as empty: loader.py).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from helpers import query

from complaints_pipeline import loader, staging
from complaints_pipeline.config import load_settings
from complaints_pipeline.sources.base import CANONICAL_SCHEMA, export_time

DAY = dt.date(2026, 10, 12)
ROWS = 300_000


def _day(day: dt.date, first: int, count: int, status: str, customer: str = "c", file: str = "submissions") -> pa.Table:
    ids = pa.array([f"S{n:07d}" for n in range(first, first + count)], pa.string())
    columns = {
        "complaint_id": pc.binary_join_element_wise("WB-", ids, ""),
        "channel": pa.array(["web"] * count),
        "source_record_id": ids,
        "received_at": pa.array([dt.datetime(2026, 10, 12, 2)] * count, pa.timestamp("us")),
        "customer_key": pa.array([customer] * count),
        "status": pa.array([status] * count),
        "complaint_text": pa.array(["charged twice"] * count),
        "source_file": pa.array([f"web/{day}/{file}.jsonl"] * count),
        "source_position": pc.cast(pa.array(range(1, count + 1)), pa.string()),
        "partition_date": pa.array([day] * count, pa.date32()),
        "version_at": pa.array([export_time(day, "Asia/Shanghai")] * count, pa.timestamp("us")),
    }
    return pa.table({f.name: columns.get(f.name, pa.nulls(count, f.type)) for f in CANONICAL_SCHEMA})


def _stage(settings, day: dt.date, tables: list[pa.Table]) -> None:
    staged = staging.StagedDay(staging.staging_folder(settings.staging_dir, "web", day))
    for table in tables:
        staged.write("complaints", table)
    records = sum(t.num_rows for t in tables)
    staged.commit({"partition_date": day.isoformat(), "files": [{"file": "f"}], "records_in": records})


@pytest.mark.slow
def test_a_channel_day_of_300000_records_loads_and_its_overlapping_export_is_judged(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    settings = load_settings()
    _stage(settings, DAY, [_day(DAY, 0, ROWS, "open")])
    [first] = loader.load(["web"], [DAY], settings)
    assert (first["loaded"], first["quarantined"], first["skipped"]) == (ROWS, 0, 0)

    # The next day: 200,000 of them again (150,000 now in progress, 50,000 unchanged), 100,000 new,
    # and one repeated id naming another customer.
    later = DAY + dt.timedelta(days=1)
    _stage(
        settings,
        later,
        [
            _day(later, 0, 150_000, "in_progress"),
            _day(later, 150_000, 50_000, "open"),
            _day(later, ROWS, 100_000, "open"),
            _day(later, 299_999, 1, "open", customer="someone-else", file="late"),
        ],
    )
    [second] = loader.load(["web"], [later], settings)
    assert (second["loaded"], second["updates"], second["quarantined"], second["skipped"]) == (
        250_000,
        150_000,
        1,
        50_000,
    )
    assert query(settings, "select count(*), count(distinct complaint_id) from raw.web_complaints") == [
        (550_000, 400_000)
    ]
