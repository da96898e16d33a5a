"""The quality gate quarantines exactly the failing rows; the loader replaces a date and reconciles."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import REPO_ROOT, query

from complaints_pipeline import loader, staging
from complaints_pipeline.config import load_settings
from complaints_pipeline.sources.base import (
    CANONICAL_COLUMNS,
    CANONICAL_SCHEMA,
    QUARANTINE_SCHEMA,
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
        "web/x.jsonl",
        source_id,
        source_record_id=source_id,
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
    outcome = validate(staging.rows_to_table(rows).drop_columns(["_raw"]), SUITE)

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


def _stage(staging_dir: Path, channel: str, day: dt.date, ids: list[str], rejects: int, rows=()) -> None:
    rows = [_row(i, day) for i in ids] + list(rows)
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
    summary = {"partition_date": day.isoformat(), "files": [{"file": "f"}], "records_in": len(rows) + rejects}
    staged = staging.StagedDay(staging.staging_folder(staging_dir, channel, day))
    staged.write("complaints", staging.rows_to_table(rows).select(CANONICAL_SCHEMA.names))
    staged.write("quarantine", pa.Table.from_pylist(bad, schema=QUARANTINE_SCHEMA))
    staged.commit(summary)


def test_reloading_a_date_replaces_it_and_reconciles(warehouse_settings) -> None:
    settings = warehouse_settings
    other_day = DAY + dt.timedelta(days=1)
    _stage(settings.staging_dir, "web", DAY, ["a", "b", "c"], rejects=1)
    _stage(settings.staging_dir, "web", other_day, ["d"], rejects=0)
    loader.load(["web"], [DAY, other_day], settings)

    _stage(settings.staging_dir, "web", DAY, ["a", "b"], rejects=2)  # a corrected re-export of DAY
    loader.load(["web"], [DAY], settings)
    loader.load(["web"], [DAY], settings)  # and a rerun

    counts = query(settings, "select partition_date, count(*) from raw.web_complaints group by 1 order by 1")
    assert counts == [(DAY, 2), (other_day, 1)]
    assert query(settings, "select count(*) from raw.quarantine") == [(2,)]
    recon = query(
        settings, "select records_in, loaded, quarantined from raw.load_reconciliation where partition_date = ?", [DAY]
    )
    assert recon == [(4, 2, 2)]
    columns = "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?"
    assert {c for (c,) in query(settings, columns, ["web_complaints"])} == {
        *CANONICAL_COLUMNS,
        "content_hash",
        "loaded_at",
    }


def test_a_load_that_does_not_add_up_fails_and_writes_nothing(warehouse_settings) -> None:
    settings = warehouse_settings
    _stage(settings.staging_dir, "web", DAY, ["a"], rejects=0)
    summary_file = staging.staging_folder(settings.staging_dir, "web", DAY) / "summary.json"
    summary = json.loads(summary_file.read_text())
    summary_file.write_text(json.dumps({**summary, "records_in": 5}))

    with pytest.raises(RuntimeError, match="5 records came in but 1 loaded"):
        loader.load(["web"], [DAY], settings)

    assert query(settings, "select count(*) from raw.web_complaints") == [(0,)]
    assert query(settings, "select count(*) from raw.load_reconciliation") == [(0,)]


def test_settings_are_read_at_call_time(monkeypatch) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", "/somewhere")
    assert load_settings().warehouse_path == Path("/somewhere/warehouse/complaints.duckdb")


def test_an_overlapping_export_skips_what_is_loaded_and_loads_what_changed(warehouse_settings) -> None:
    settings = warehouse_settings
    later = DAY + dt.timedelta(days=1)
    _stage(settings.staging_dir, "web", DAY, ["a", "b"], rejects=0)
    # The next day's export repeats b unchanged, brings c, and a again, now answered.
    answered = _row("a", later, first_response_at=dt.datetime(2026, 10, 12, 5))
    _stage(settings.staging_dir, "web", later, ["b", "c"], rejects=0, rows=[answered])
    loader.load(["web"], [DAY, later], settings)

    assert query(settings, "select complaint_id, partition_date from raw.web_complaints order by 1, 2") == [
        ("WB-a", DAY),
        ("WB-a", later),
        ("WB-b", DAY),
        ("WB-c", later),
    ]
    [(kind, reason, related)] = query(settings, "select kind, reason, related_complaint_id from raw.skipped")
    assert (kind, related) == ("duplicate_version", "WB-b")
    assert reason == f"the same version of WB-b as the one already loaded for {DAY} from web/x.jsonl"
    # Each version describes the complaint as of its export: the end of its landing date, Shanghai time.
    assert query(settings, "select version_at from raw.web_complaints where complaint_id = 'WB-a' order by 1") == [
        (dt.datetime(2026, 10, 12, 16),),
        (dt.datetime(2026, 10, 13, 16),),
    ]
    recon = "select loaded, updates, quarantined, skipped from raw.load_reconciliation where partition_date = ?"
    assert query(settings, recon, [later]) == [(2, 1, 0, 1)]
    # The complaint dates the later load changed: a's and c's received date (b's was not touched).
    changed = "select distinct complaint_date from raw.load_complaint_dates where partition_date = ?"
    assert query(settings, changed, [later]) == [(DAY,)]


def test_an_id_of_another_customer_and_two_states_at_one_moment_are_quarantined(warehouse_settings) -> None:
    settings = warehouse_settings
    later = DAY + dt.timedelta(days=1)
    _stage(settings.staging_dir, "web", DAY, ["a"], rejects=0)
    other_customer = {**_row("a", later), "customer_key": "someone-else"}
    first = _row("b", later, status="open")
    second = {**_row("b", later, status="in_progress"), "source_position": "b2"}
    _stage(settings.staging_dir, "web", later, [], rejects=0, rows=[other_customer, first, second])
    loader.load(["web"], [DAY, later], settings)

    rows = query(
        settings,
        "select complaint_id, check_name, reason, raw_record from raw.quarantine order by 1, source_position",
    )
    assert [(r[0], r[1]) for r in rows] == [
        ("WB-a", "duplicate_id"),
        ("WB-b", "conflicting_version"),
        ("WB-b", "conflicting_version"),
    ]
    assert rows[0][2] == f"duplicate complaint id WB-a: already loaded for another customer, {DAY} from web/x.jsonl"
    assert "cannot be told" in rows[1][2]
    assert json.loads(rows[0][3])["customer_key"] == "someone-else"
    assert query(settings, "select count(*) from raw.web_complaints where partition_date = ?", [later]) == [(0,)]


def test_versions_landing_in_any_order_leave_the_same_versions(warehouse_settings) -> None:
    settings = warehouse_settings
    days = [DAY + dt.timedelta(days=k) for k in range(3)]
    states = [
        {"status": "open", "resolved_at": None, "satisfaction_score": None},
        {"status": "resolved", "satisfaction_score": None},
        {"status": "resolved", "satisfaction_score": None},  # unchanged on the third day
    ]
    for day, state in zip(days, states, strict=True):
        _stage(settings.staging_dir, "web", day, [], rejects=0, rows=[_row("a", day, **state)])
    for day in reversed(days):
        loader.load(["web"], [day], settings)
    backwards = query(settings, "select status, version_at, partition_date from raw.web_complaints order by 2")
    # The unchanged copy is skipped whichever landed first; the version keeps the time it was first known.
    assert [(s, v) for s, v, _ in backwards] == [
        ("open", dt.datetime(2026, 10, 12, 16)),
        ("resolved", dt.datetime(2026, 10, 13, 16)),
    ]
    for day in days:  # and the same dates reloaded in order change nothing
        loader.load(["web"], [day], settings)
    forwards = query(settings, "select status, version_at from raw.web_complaints order by 2")
    assert forwards == [(s, v) for s, v, _ in backwards]


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
    "expect_column_value_lengths_to_be_between(complaint_text)": {"complaint_text": "x" * 50_001},
    "expect_column_values_to_be_in_set(version_kind)": {"version_kind": "rumour"},
    "expect_column_values_to_not_be_null(version_at)": {"version_at": None},
    "expect_column_pair_values_a_to_be_greater_than_b(version_at)": {"version_at": dt.datetime(2026, 10, 12, 1)},
}


def test_an_event_needs_no_text_nor_received_time_a_whole_record_does() -> None:
    from complaints_pipeline.quality import validate

    event = {**_row("answered", version_kind="event"), "complaint_text": None, "received_at": None}
    snapshot = {**_row("registered"), "complaint_text": None, "received_at": None}
    outcome = validate(staging.rows_to_table([event, snapshot]).drop_columns(["_raw", "_landed"]), SUITE)
    assert outcome.good.column("source_record_id").to_pylist() == ["answered"]
    [reject] = outcome.rejects
    assert "no received time" in reject["reason"] and "no text" in reject["reason"]


def test_every_expectation_of_the_canonical_suite_quarantines_the_row_that_breaks_it() -> None:
    from complaints_pipeline.quality import validate

    rows = [_row("good")]
    for number, columns in enumerate(BREAKS_CANONICAL.values()):
        row = _row(f"r{number}")
        row.update(columns)
        rows.append(row)
    outcome = validate(staging.rows_to_table(rows).drop_columns(["_raw", "_landed"]), SUITE)

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


def test_insert_rows_skips_keys_already_there_and_repeated_and_takes_many_rows_at_once(warehouse_settings) -> None:
    from complaints_pipeline.warehouse import TABLE_DDL, Connection

    now = dt.datetime(2026, 9, 1, 23)
    with Connection(warehouse_settings) as con:
        con.execute("create schema if not exists raw")
        con.execute(TABLE_DDL["raw.text_sentiment"])
        con.insert_rows("raw.text_sentiment", ["text_hash", "sentiment_score", "sentiment_label",
                        "sentiment_method", "scored_at"], [("h0", -0.5, "negative", "vader", now)])  # fmt: skip
        # 50,000 new keys, one repeated within the rows and one already there: the first of each is kept.
        rows = [(f"h{i}", 0.5, "positive", "vader", now) for i in range(50_000)] + [("h7", -1.0, "x", "y", now)]
        con.insert_rows("raw.text_sentiment", ["text_hash", "sentiment_score", "sentiment_label",
                        "sentiment_method", "scored_at"], rows, skip_existing=True)  # fmt: skip
        counts = con.execute(
            "select count(*), count(case when sentiment_label = 'negative' then 1 end),"
            " count(case when sentiment_label = 'x' then 1 end), max(scored_at) from raw.text_sentiment"
        ).fetchone()
    assert counts == (50_000, 1, 0, now)
