"""The day gate: each expectation of expectations/complaints_day.json, violated by a small day, blocks
or warns with its reason and figures; parameters are learned from earlier staged days."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import REPO_ROOT
from records import form, jsonl, post, x_page

from complaints_pipeline import ingest, quality, staging
from complaints_pipeline.config import load_settings
from complaints_pipeline.quality import day_gate

SUITE = json.loads((REPO_ROOT / "expectations" / "complaints_day.json").read_text())
CATEGORIES = {"billing_dispute": 60, "product_quality": 40}


def _history(days: int = 10, rows: int = 100) -> list[dict]:
    filled = dict.fromkeys(quality.PROFILED_COLUMNS, rows)
    return [{"rows": rows, "filled": filled, "categories": CATEGORIES} for _ in range(days)]


def _day(rows: int = 100, **overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "category": ["billing_dispute"] * (rows * 6 // 10) + ["product_quality"] * (rows - rows * 6 // 10),
            "customer_key": ["k"] * rows,
            "product": ["router"] * rows,
            "region": ["wuhan"] * rows,
            "status": ["closed"] * rows,
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame


def _gate(frame: pd.DataFrame, history=None, working_day=True, quarantined=0) -> quality.DayGate:
    history = _history() if history is None else history
    parameters = quality.day_parameters(SUITE, history, working_day, len(frame), quarantined, 0.05)
    return quality.gate_day(frame, SUITE, parameters)


def test_a_usual_day_passes() -> None:
    gate = _gate(_day())
    assert gate.blocked == [] and gate.warnings == []


def test_no_rows_on_a_working_day_blocks_but_not_on_a_weekend() -> None:
    assert any("no complaints on a working day" in m for m in _gate(_day(0)).blocked)
    weekend = _gate(_day(0), working_day=False)
    assert not any("working day" in m for m in weekend.blocked)
    # A channel that never had rows (not used by this company) is not blocked for having none.
    assert _gate(_day(0), history=_history(rows=0)).blocked == []


def test_a_quarantined_share_above_five_percent_blocks_with_the_figures() -> None:
    (message,) = [m for m in _gate(_day(90), quarantined=10).blocked if "quarantined" in m]
    assert "observed 90" in message and "min_rows_kept 91" in message
    assert not any("quarantined" in m for m in _gate(_day(95), quarantined=5).blocked)


def test_ten_times_the_usual_volume_warns_and_does_not_block() -> None:
    gate = _gate(_day(1000))
    assert gate.blocked == []
    assert any("far outside the last 28 days" in m and "observed 1000" in m for m in gate.warnings)


def test_volume_and_drift_are_not_judged_before_seven_days_of_history() -> None:
    gate = _gate(_day(1000, category=["weather"] * 1000), history=_history(days=6))
    assert gate.warnings == [] and gate.blocked == []
    assert gate.parameters["usual_rows_high"] is None and gate.parameters["category_partition"] is None


@pytest.mark.parametrize("column", ["customer_key", "product", "region"])
def test_a_column_gone_empty_blocks(column: str) -> None:
    (message,) = _gate(_day(**{column: [None] * 100})).blocked
    assert f"expect_column_values_to_not_be_null({column})" in message and "100 of 100 empty" in message


def test_fewer_statuses_than_usual_warns() -> None:
    gate = _gate(_day(status=[None] * 50 + ["closed"] * 50))
    assert gate.blocked == []
    assert any("fewer rows than usual have a status" in m for m in gate.warnings)


def test_a_drifted_or_new_category_warns() -> None:
    drifted = _gate(_day(category=["product_quality"] * 95 + ["billing_dispute"] * 5))
    assert any("mix of categories drifted" in m for m in drifted.warnings) and drifted.blocked == []
    new = _gate(_day(category=["billing_dispute"] * 50 + ["weather"] * 50))
    assert any("a category the last 28 days never had" in m for m in new.warnings)


DAY_START = dt.datetime(2026, 10, 11, 16)  # 2026-10-12 00:00 in Shanghai


def _sourced(frame: pd.DataFrame, source: str, received: dt.datetime = DAY_START) -> pd.DataFrame:
    return frame.assign(record_source=source, received_at=received)


def _judge(frame: pd.DataFrame, history: list[dict]) -> quality.DayGate:
    return quality.judge_day(
        frame,
        SUITE,
        history,
        working_day=True,
        loaded=len(frame),
        quarantined=0,
        max_quarantined_share=0.05,
        default_source="form",
        day_start=DAY_START,
    )


def test_a_cfpb_export_is_not_judged_by_what_form_submissions_taught() -> None:
    # Two weeks of form history (every form names a customer), staged before sources were told apart.
    forms = _sourced(_day(100), "form")
    cfpb = _sourced(_day(300, customer_key=[None] * 300), "cfpb", received=dt.datetime(2014, 11, 12))
    gate = _judge(pd.concat([forms, cfpb], ignore_index=True), _history(days=14))
    assert gate.blocked == [] and gate.warnings == []
    # Its rows are learned as its own source: forms' volume stays 100 (the CFPB rows are older complaints).
    assert gate.profile["sources"]["form"]["rows"] == 100
    assert gate.profile["sources"]["cfpb"] == {
        "rows": 0,
        "versions": 300,
        "filled": {"customer_key": 0, "product": 300, "region": 300, "status": 300},
        "categories": {"billing_dispute": 180, "product_quality": 120},
    }
    # Without the rule's per-source statement, the same day would have been blocked for the CFPB rows.
    unsourced = quality.gate_day(
        pd.concat([forms, cfpb]), SUITE, quality.day_parameters(SUITE, _history(days=14), True, 400, 0, 0.05)
    )
    assert any("name a customer" in m for m in unsourced.blocked)


def test_forms_missing_on_a_day_with_only_a_cfpb_file_still_block_and_say_which_source() -> None:
    cfpb = _sourced(_day(50), "cfpb", received=dt.datetime(2020, 3, 1))
    gate = _judge(cfpb, _history(days=14))
    assert [m.split(":")[0] for m in gate.blocked] == ["form"]
    assert "no complaints on a working day" in gate.blocked[0]


def test_a_day_of_updates_is_no_surge_and_its_new_complaints_are_its_volume() -> None:
    # 100 new complaints and 900 updates of complaints received on earlier days.
    new = _sourced(_day(100), "form")
    updates = _sourced(_day(900), "form", received=DAY_START - dt.timedelta(days=3))
    gate = _judge(pd.concat([new, updates], ignore_index=True), _history(days=14))
    assert gate.warnings == [] and gate.blocked == []
    assert (gate.profile["sources"]["form"]["rows"], gate.profile["sources"]["form"]["versions"]) == (100, 1000)
    # The same 1000 rows all new would be four times the largest day: a warning, not a block.
    surge = _judge(_sourced(_day(1000), "form"), _history(days=14))
    assert surge.blocked == [] and any("far outside" in m for m in surge.warnings)


def test_every_expectation_of_the_day_suite_is_covered_by_a_test_here() -> None:
    tested = {
        ("expect_table_row_count_to_be_between", "min_rows_on_working_day"),
        ("expect_table_row_count_to_be_between", "min_rows_kept"),
        ("expect_table_row_count_to_be_between", "usual_rows_high"),
        ("expect_column_values_to_not_be_null", "min_filled_customer_key"),
        ("expect_column_values_to_not_be_null", "min_filled_product"),
        ("expect_column_values_to_not_be_null", "min_filled_region"),
        ("expect_column_values_to_not_be_null", "min_filled_status"),
        ("expect_column_kl_divergence_to_be_less_than", "category_drift_threshold"),
    }
    in_suite = {(e["type"], min(day_gate._parameters_read(e["kwargs"]))) for e in SUITE["expectations"]}
    assert in_suite == tested


def test_a_blocked_day_is_staged_and_learned_from_no_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    settings = load_settings()
    day = dt.date(2026, 10, 12)  # a Monday
    folder = settings.landing_dir / "web" / day.isoformat()
    folder.mkdir(parents=True)
    bad = [form(submission_id=f"B{n}", ticket={"csat": "abc"}) for n in range(3)]
    (folder / "s.jsonl").write_bytes(jsonl(*[form(submission_id=f"S{n}") for n in range(7)], *bad))

    with pytest.raises(ingest.BatchBlockedError, match=f"web {day}: .*quarantined .*observed 7; min_rows_kept 8"):
        ingest.extract("web", [day], settings)

    summary = staging.staged_summary(settings.staging_dir, "web", day)
    assert summary["loaded"] == 7 and summary["quarantined"] == 3 and summary["blocked"]
    assert ingest.learned_history(settings.staging_dir, "web", day + dt.timedelta(days=1)) == []


def test_a_real_cfpb_export_landing_after_weeks_of_forms_is_not_blocked(tmp_path, monkeypatch) -> None:
    """Two weeks of form submissions (each names a customer), then a day holding forms and a real CFPB
    export (tests/fixtures/real/cfpb), which names none: the day loads whole."""
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    settings = load_settings()
    first = dt.date(2026, 10, 12)
    days = [first + dt.timedelta(days=k) for k in range(15)]
    for day in days:
        folder = settings.landing_dir / "web" / day.isoformat()
        folder.mkdir(parents=True)
        received = f"{day.isoformat()}T10:00:00+08:00"
        forms = [
            form(submission_id=f"S{day:%m%d}{n}", submitted_at=received, ticket={"status": "open"}) for n in range(20)
        ]
        (folder / "s.jsonl").write_bytes(jsonl(*forms))
    real = REPO_ROOT / "tests" / "fixtures" / "real" / "cfpb" / "cfpb_2023_era.csv"
    (settings.landing_dir / "web" / days[-1].isoformat() / "cfpb.csv").write_bytes(real.read_bytes())

    ingest.extract("web", days, settings)  # raises BatchBlockedError if any day is blocked

    summary = staging.staged_summary(settings.staging_dir, "web", days[-1])
    assert summary["blocked"] == [] and summary["loaded"] == 20 + 226
    assert set(summary["profile"]["sources"]) == {"form", "cfpb"}
    assert summary["profile"]["sources"]["cfpb"]["filled"]["customer_key"] == 0


def _posts(count: int, start: int = 0) -> list[dict]:
    return [post(id=str(9000 + n), text=f"@AcmeCare router {n} drops every evening") for n in range(start, count)]


def _social_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    settings = load_settings()
    day = dt.date(2026, 10, 12)
    folder = settings.landing_dir / "social" / day.isoformat()
    folder.mkdir(parents=True)
    return settings, day, folder


def test_one_bad_post_among_fifteen_does_not_withhold_the_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """6 % quarantined is above the 5 % share, but one bad record of 16 is no evidence of a broken export."""
    settings, day, folder = _social_day(tmp_path, monkeypatch)
    (folder / "x_page_1.json").write_bytes(x_page(*_posts(15), post(id="8999", created_at="not a time")))
    result = ingest.extract("social", [day], settings)
    assert (result["loaded"], result["quarantined"]) == (15, 1)


def test_an_unreadable_page_counts_as_the_posts_it_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """30 posts read and a page cut off holding 10: 10 of 40 lost (blocked), not 1 of 31 (which would pass)."""
    settings, day, folder = _social_day(tmp_path, monkeypatch)
    (folder / "x_page_1.json").write_bytes(x_page(*_posts(30)))
    cut = x_page(*_posts(40, start=30))
    (folder / "x_page_2.json").write_bytes(cut[: len(cut) - 40])  # the download stopped early
    assert quality.allowed_quarantined(31, 0.05) >= 1  # one record of 31 would pass
    with pytest.raises(ingest.BatchBlockedError, match=r"quarantined .*observed 30; min_rows_kept 36"):
        ingest.extract("social", [day], settings)
    summary = staging.staged_summary(settings.staging_dir, "social", day)
    assert (summary["loaded"], summary["quarantined"], summary["quarantined_held"]) == (30, 1, 9)
    (reject,) = pd.read_parquet(staging.staging_folder(settings.staging_dir, "social", day) / "quarantine.parquet")[
        "reason"
    ]
    assert reject.endswith("it held about 10 posts, all quarantined with it")


def test_a_date_without_a_landing_folder_is_not_delivered_not_zero_complaints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    settings = load_settings()
    saturday, sunday = dt.date(2026, 10, 17), dt.date(2026, 10, 18)
    (settings.landing_dir / "phone" / saturday.isoformat()).mkdir(parents=True)  # delivered, empty: no complaints
    with pytest.raises(ingest.BatchBlockedError, match=r"phone 2026-10-18: no landing folder phone/2026-10-18/"):
        ingest.extract("phone", [saturday, sunday], settings)
    delivered = staging.staged_summary(settings.staging_dir, "phone", saturday)
    missing = staging.staged_summary(settings.staging_dir, "phone", sunday)
    assert not delivered.get("not_delivered") and delivered["blocked"] == []
    assert missing["not_delivered"] and missing["records_in"] == 0
