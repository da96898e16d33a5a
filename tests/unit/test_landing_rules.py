"""Files landed twice load once; a file that lands late for an earlier date is picked up by the next run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from records import form, jsonl

from complaints_pipeline import ingest, pipeline, staging
from complaints_pipeline.config import load_settings

DAY = dt.date(2026, 10, 12)
NEXT = DAY + dt.timedelta(days=1)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    return load_settings()


def _land(settings, day: dt.date, name: str, data: bytes) -> None:
    folder = settings.landing_dir / "web" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def _staged(settings, day: dt.date, table: str) -> list[dict]:
    return pq.read_table(staging.staging_folder(settings.staging_dir, "web", day) / f"{table}.parquet").to_pylist()


def test_the_same_file_landed_again_under_a_later_date_loads_once(settings) -> None:
    export = jsonl(form(), form(submission_id="S2"))
    _land(settings, DAY, "export.jsonl", export)
    ingest.extract("web", [DAY], settings)
    _land(settings, NEXT, "export-resent.jsonl", export)
    # Yesterday's export again is no export for a working day: staged, and the day gate blocks it.
    with pytest.raises(ingest.BatchBlockedError, match="no complaints on a working day"):
        ingest.extract("web", [NEXT], settings)

    assert _staged(settings, NEXT, "complaints") == []
    skipped = _staged(settings, NEXT, "skipped")
    assert [s["kind"] for s in skipped] == ["duplicate_file", "duplicate_file"]
    assert f"web/{DAY}/export.jsonl" in skipped[0]["reason"]
    # Reprocessing the first date does not mistake its own file for a duplicate.
    ingest.extract("web", [DAY], settings)
    assert len(_staged(settings, DAY, "complaints")) == 2


def test_a_late_file_for_an_earlier_date_is_picked_up_by_the_next_run(settings) -> None:
    _land(settings, DAY, "morning.jsonl", jsonl(form()))
    ingest.extract("web", [DAY], settings)
    assert staging.dates_with_new_files(settings.landing_dir, settings.staging_dir, "web", [DAY]) == []

    _land(settings, DAY, "evening.jsonl", jsonl(form(submission_id="S9")))  # lands after DAY was loaded
    assert staging.dates_with_new_files(settings.landing_dir, settings.staging_dir, "web", [DAY]) == [DAY]

    # The next day's scheduled run: its data interval starts at NEXT 00:00 Shanghai time.
    interval_start = dt.datetime(2026, 10, 12, 16, 0, tzinfo=dt.UTC)
    dates = pipeline.resolve_dates(None, None, interval_start, "Asia/Shanghai", lookback_days=7)
    assert dates == [DAY.isoformat(), NEXT.isoformat()]

    # NEXT has no landing folder yet: not delivered (not zero complaints), told after staging both dates.
    with pytest.raises(
        ingest.BatchBlockedError, match=f"web {NEXT}: no landing folder web/{NEXT}/: the export was not"
    ):
        ingest.extract("web", [dt.date.fromisoformat(d) for d in dates], settings)
    assert sorted(r["complaint_id"] for r in _staged(settings, DAY, "complaints")) == ["WB-S1", "WB-S9"]
    summary = json.loads((staging.staging_folder(settings.staging_dir, "web", DAY) / "summary.json").read_text())
    assert [f["file"] for f in summary["files"]] == [f"web/{DAY}/evening.jsonl", f"web/{DAY}/morning.jsonl"]
    assert pipeline.resolve_dates(None, None, interval_start, "Asia/Shanghai") == [NEXT.isoformat()]


def test_params_range_and_a_reversed_range() -> None:
    anchor = dt.datetime(2026, 10, 12, tzinfo=dt.UTC)
    assert pipeline.resolve_dates("2026-10-01", "2026-10-03", anchor, "UTC", lookback_days=0) == [
        "2026-10-01",
        "2026-10-02",
        "2026-10-03",
    ]
    with pytest.raises(ValueError, match="before start_date"):
        pipeline.resolve_dates("2026-10-03", "2026-10-01", anchor, "UTC")


def test_a_run_triggered_without_a_logical_date_processes_the_day_before(settings) -> None:
    """Airflow 3 triggers without a logical date by default (`airflow dags trigger`, the UI): no data interval."""
    run_after = dt.datetime(2026, 10, 14, 2, 45, tzinfo=dt.UTC)  # 10:45 in Shanghai, the day after NEXT
    assert pipeline.resolve_dates(None, None, None, "Asia/Shanghai", lookback_days=0, run_after=run_after) == [
        NEXT.isoformat()
    ]
    assert pipeline.resolve_dates("2026-10-01", None, None, "UTC", lookback_days=0, run_after=run_after) == [
        "2026-10-01"
    ]


def test_a_day_missed_while_the_scheduler_was_down_is_picked_up_by_the_next_run(settings) -> None:
    """complaints_daily has no catch-up runs: the run after a gap processes the week's days never loaded."""
    _land(settings, DAY, "export.jsonl", jsonl(form()))  # landed, but no run loaded it
    interval_start = dt.datetime(2026, 10, 12, 16, 0, tzinfo=dt.UTC)  # the run for NEXT
    assert pipeline.resolve_dates(None, None, interval_start, "Asia/Shanghai", lookback_days=7) == [
        DAY.isoformat(),
        NEXT.isoformat(),
    ]
    assert pipeline.resolve_dates(None, None, interval_start, "Asia/Shanghai", lookback_days=0) == [NEXT.isoformat()]
