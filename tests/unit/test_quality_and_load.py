"""The quality gate quarantines exactly the failing rows; the loader replaces a date and reconciles."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import REPO_ROOT, query

from complaints_pipeline import ingest, warehouse
from complaints_pipeline.config import load_settings
from complaints_pipeline.sources.base import (
    CANONICAL_COLUMNS,
    CANONICAL_SCHEMA,
    QUARANTINE_SCHEMA,
    SKIPPED_SCHEMA,
    ParseContext,
    canonical_row,
)

DAY = dt.date(2026, 10, 12)
SUITE = REPO_ROOT / "expectations" / "complaints.json"


def _row(source_id: str, day: dt.date = DAY, **fields) -> dict:
    ctx = ParseContext("web", Path("/landing"), day, "Asia/Shanghai", "k")
    base = {
        "received_at": dt.datetime(2026, 10, 12, 2),
        "category": "billing_dispute",
        "severity": 2,
        "status": "resolved",
        "satisfaction_score": 4,
        "resolved_at": dt.datetime(2026, 10, 13, 2),
    }
    base.update(fields)
    text = base.pop("text", "I was charged twice")
    return canonical_row(
        ctx,
        source_record_id=source_id,
        source_file="web/x.jsonl",
        source_position=source_id,
        identity="a1",
        text=text,
        extra={},
        **base,
    )


def test_failing_rows_are_quarantined_with_expectation_reason_and_value() -> None:
    from complaints_pipeline.quality import validate

    rows = [
        _row("ok1"),
        _row("bad-score", satisfaction_score=9),
        _row("bad-order", resolved_at=dt.datetime(2026, 10, 11)),
        _row("no-time", received_at=None),
        _row("empty", text=""),
        _row("two-faults", severity=7, status="lost"),
        _row("ok2", category=None, satisfaction_score=None),
    ]
    outcome = validate(ingest.rows_to_table(rows).drop_columns(["_raw"]), SUITE)

    assert sorted(outcome.good.column("complaint_id").to_pylist()) == ["WB-ok1", "WB-ok2"]
    by_id = {r["complaint_id"]: r for r in outcome.rejects}
    assert set(by_id) == {"WB-bad-score", "WB-bad-order", "WB-no-time", "WB-empty", "WB-two-faults"}
    assert by_id["WB-bad-score"]["check_name"] == "expect_column_values_to_be_between(satisfaction_score)"
    assert by_id["WB-bad-score"]["failing_value"] == "9"
    assert "satisfaction score must be 1 to 5" in by_id["WB-bad-score"]["reason"]
    assert "resolved before it was received" in by_id["WB-bad-order"]["reason"]
    assert "no received time" in by_id["WB-no-time"]["reason"]
    assert "text is empty" in by_id["WB-empty"]["reason"]
    # One quarantine row per record, naming every fault it has.
    assert "severity must be 1 to 5" in by_id["WB-two-faults"]["reason"]
    assert "status is not" in by_id["WB-two-faults"]["reason"]
    assert json.loads(by_id["WB-bad-score"]["raw_record"])["source_position"] == "bad-score"


def _stage(staging: Path, channel: str, day: dt.date, ids: list[str], rejects: int) -> None:
    rows = [_row(i, day) for i in ids]
    bad = [
        {
            "channel": channel,
            "partition_date": day,
            "source_file": "f",
            "source_position": str(n),
            "raw_record": "{}",
            "reason": "x",
            "check_name": "parse",
        }
        for n in range(rejects)
    ]
    summary = {"partition_date": day.isoformat(), "files": [{"file": "f"}], "records_in": len(ids) + rejects}
    staged = ingest._StagedDay(ingest.staging_folder(staging, channel, day))
    staged.write("complaints", ingest.rows_to_table(rows).select(CANONICAL_SCHEMA.names))
    staged.write("quarantine", pa.Table.from_pylist(bad, schema=QUARANTINE_SCHEMA))
    staged.commit(summary, {"complaints": CANONICAL_SCHEMA, "quarantine": QUARANTINE_SCHEMA, "skipped": SKIPPED_SCHEMA})


def test_reloading_a_date_replaces_it_and_reconciles(warehouse_settings) -> None:
    settings = warehouse_settings
    other_day = DAY + dt.timedelta(days=1)
    _stage(settings.staging_dir, "web", DAY, ["a", "b", "c"], rejects=1)
    _stage(settings.staging_dir, "web", other_day, ["d"], rejects=0)
    warehouse.load(["web"], [DAY, other_day], settings)

    _stage(settings.staging_dir, "web", DAY, ["a", "b"], rejects=2)  # a corrected re-export of DAY
    warehouse.load(["web"], [DAY], settings)
    warehouse.load(["web"], [DAY], settings)  # and a rerun

    counts = query(settings, "select partition_date, count(*) from raw.web_complaints group by 1 order by 1")
    assert counts == [(DAY, 2), (other_day, 1)]
    assert query(settings, "select count(*) from raw.quarantine") == [(2,)]
    recon = query(
        settings, "select records_in, loaded, quarantined from raw.load_reconciliation where partition_date = ?", [DAY]
    )
    assert recon == [(4, 2, 2)]
    columns = "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?"
    assert len(CANONICAL_COLUMNS) == len(query(settings, columns, ["web_complaints"]))


def test_a_load_that_does_not_add_up_fails_and_writes_nothing(warehouse_settings) -> None:
    settings = warehouse_settings
    _stage(settings.staging_dir, "web", DAY, ["a"], rejects=0)
    summary_file = ingest.staging_folder(settings.staging_dir, "web", DAY) / "summary.json"
    summary = json.loads(summary_file.read_text())
    summary_file.write_text(json.dumps({**summary, "records_in": 5}))

    with pytest.raises(RuntimeError, match="5 records came in but 1 loaded"):
        warehouse.load(["web"], [DAY], settings)

    assert query(settings, "select count(*) from raw.web_complaints") == [(0,)]
    assert query(settings, "select count(*) from raw.load_reconciliation") == [(0,)]


def test_settings_are_read_at_call_time(monkeypatch) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", "/somewhere")
    assert dataclasses.asdict(load_settings())["warehouse_path"] == Path("/somewhere/warehouse/complaints.duckdb")


def test_a_complaint_already_loaded_for_another_date_is_quarantined_not_loaded_twice(warehouse_settings) -> None:
    settings = warehouse_settings
    later = DAY + dt.timedelta(days=1)
    _stage(settings.staging_dir, "web", DAY, ["a", "b"], rejects=0)
    _stage(settings.staging_dir, "web", later, ["b", "c"], rejects=0)  # an overlapping export
    warehouse.load(["web"], [DAY, later], settings)

    assert query(settings, "select complaint_id, partition_date from raw.web_complaints order by 1") == [
        ("WB-a", DAY),
        ("WB-b", DAY),
        ("WB-c", later),
    ]
    [(reason, check, record)] = query(settings, "select reason, check_name, raw_record from raw.quarantine")
    assert check == "duplicate_id" and reason.startswith(f"duplicate complaint id WB-b: already loaded for {DAY}")
    assert json.loads(record)["complaint_id"] == "WB-b"
    assert query(
        settings, "select loaded, quarantined from raw.load_reconciliation where partition_date = ?", [later]
    ) == [(1, 1)]


# Each expectation of the canonical suite, and a row that breaks it (fields, or the built row's columns).
BREAKS_CANONICAL = {
    "expect_column_values_to_not_be_null(complaint_id)": {"complaint_id": None},
    "expect_column_values_to_match_regex(complaint_id)": {"complaint_id": "XX-1"},
    "expect_column_values_to_be_in_set(channel)": {"channel": "fax"},
    "expect_column_values_to_not_be_null(received_at)": {"received_at": None},
    "expect_column_values_to_be_between(received_at)": {"received_at": dt.datetime(1999, 12, 31)},
    "expect_column_values_to_be_in_set(category)": {"category": "weather"},
    "expect_column_values_to_be_between(severity)": {"severity": 0},
    "expect_column_values_to_be_in_set(complexity)": {"complexity": "simple"},
    "expect_column_values_to_be_in_set(status)": {"status": "lost"},
    "expect_column_values_to_be_between(satisfaction_score)": {"satisfaction_score": 6},
    "expect_column_values_to_be_between(escalation_level)": {"escalation_level": 4},
    "expect_column_values_to_be_between(compensation)": {"compensation": -1.0},
    "expect_column_values_to_be_between(handling_minutes)": {"handling_minutes": 1441.0},
    "expect_column_pair_values_a_to_be_greater_than_b(first_response_at)": {
        "first_response_at": dt.datetime(2026, 10, 12, 1)
    },
    "expect_column_pair_values_a_to_be_greater_than_b(resolved_at)": {"resolved_at": dt.datetime(2026, 10, 12, 1)},
    "expect_column_values_to_not_be_null(complaint_text)": {"complaint_text": None},
    "expect_column_value_lengths_to_be_between(complaint_text)": {"complaint_text": "x" * 20_001},
}


def test_every_expectation_of_the_canonical_suite_quarantines_the_row_that_breaks_it() -> None:
    from complaints_pipeline.quality import validate

    rows = [_row("good")]
    for number, columns in enumerate(BREAKS_CANONICAL.values()):
        row = _row(f"r{number}")
        row.update(columns)
        rows.append(row)
    outcome = validate(ingest.rows_to_table(rows).drop_columns(["_raw", "_landed"]), SUITE)

    assert outcome.good.column("source_record_id").to_pylist() == ["good"]
    by_position = {r["source_position"]: r for r in outcome.rejects}
    document = json.loads(SUITE.read_text(encoding="utf-8"))
    reasons = {
        f"{e['type']}({e['kwargs'].get('column') or e['kwargs']['column_A']})": e["meta"]["reason"]
        for e in document["expectations"]
    }
    assert set(BREAKS_CANONICAL) == set(reasons)  # every expectation is broken by one row
    for number, name in enumerate(BREAKS_CANONICAL):
        reject = by_position[f"r{number}"]
        assert reject["check_name"] == name, (name, reject["reason"])
        assert reject["reason"].startswith(reasons[name])
