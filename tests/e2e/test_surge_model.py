"""complaint_surges_daily on series whose answer is known, built by dbt through complaints_pipeline.surges.

Made-up series, without noise, for the cases the model must get right by construction (US holidays,
2025-2026):
- a series that doubles every four weeks for eight weeks keeps an expectation that follows it: no flag;
- small counts: 3 a day that become 15 on one day are flagged; 1 a day that become 3 are not;
- a value new to its series (none in the 8 weeks before) is a surge, and so reaches the alert email, when it
  comes in numbers (10 in a day), not when it trickles in (2);
- a holiday that doubles volume is expected to, once the series saw it the year before; one that quiets
  it, with the quiet week around New Year, does not make January's ordinary days look like surges.

Real series (tests/fixtures/real/series, SOURCES.md says where they come from and how their surge days were
labelled, before any detector ran): the documented spikes are flagged, and no holiday is.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from helpers import REPO_ROOT
from homes import settings_in

from complaints_pipeline import surges
from complaints_pipeline.business_calendar import public_holidays

pytestmark = pytest.mark.e2e

REAL = REPO_ROOT / "tests" / "fixtures" / "real" / "series"
FIRST, LAST = dt.date(2025, 1, 1), dt.date(2026, 12, 31)
DAYS = [FIRST + dt.timedelta(days=k) for k in range((LAST - FIRST).days + 1)]
HOLIDAYS = public_holidays("US", (2025, 2026))
RISE_START = dt.date(2026, 3, 2)
ODD_DAY = dt.date(2026, 6, 10)  # a Wednesday, no holiday


def _rising(day: dt.date) -> int:
    """100 a day, doubling every 28 days over the 56 days from RISE_START, then 400 a day."""
    k = min(max((day - RISE_START).days, 0), 56)
    return round(100 * 2 ** (k / 28))


def _quiet_around_new_year(day: dt.date) -> bool:
    return day in HOLIDAYS or (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day <= 2)


SERIES = {
    "rising": _rising,
    "three_to_fifteen": lambda day: 15 if day == ODD_DAY else 3,
    "one_to_three": lambda day: 3 if day == ODD_DAY else 1,
    "holidays_double": lambda day: 200 if day in HOLIDAYS else 100,
    "holidays_quiet": lambda day: 30 if _quiet_around_new_year(day) else 100,
    "new_in_numbers": lambda day: 10 if day == ODD_DAY else 0,
    "new_trickle": lambda day: 2 if day == ODD_DAY else 0,
}


def _settings(tmp_path_factory, name: str, country: str = "US"):
    with settings_in(tmp_path_factory.mktemp(name), holiday_country=country) as settings:
        return settings


@pytest.fixture(scope="module")
def made_up(tmp_path_factory) -> pd.DataFrame:
    counts = pd.DataFrame(
        [(day, "product", name, count(day)) for name, count in SERIES.items() for day in DAYS],
        columns=["date", "dimension", "value", "count"],
    )
    scored, _ = surges.score_series(_settings(tmp_path_factory, "made-up"), counts)
    return scored.set_index(["dimension_value", "surge_date"])


def _flags(scored: pd.DataFrame, value: str) -> list[dt.date]:
    part = scored.loc[value]
    return sorted(part.index[part["is_surge"]])


def test_a_series_that_doubles_in_four_weeks_keeps_an_expectation_that_follows_it(made_up) -> None:
    assert _flags(made_up, "rising") == []
    rise = made_up.loc["rising"].loc[RISE_START + dt.timedelta(days=14) : RISE_START + dt.timedelta(days=70)]
    ratios = rise["actual_to_expected_ratio"]
    assert ratios.between(0.8, 1.2).all(), ratios[~ratios.between(0.8, 1.2)]
    assert rise["is_trend"].any()


def test_small_counts_flag_on_a_real_rise_and_not_on_noise(made_up) -> None:
    assert _flags(made_up, "three_to_fifteen") == [ODD_DAY]
    assert made_up.loc[("three_to_fifteen", ODD_DAY), "surge_level"] == "critical"  # 5x
    assert _flags(made_up, "one_to_three") == []
    assert made_up.loc[("one_to_three", ODD_DAY), "surge_z_score"] < 2


def test_a_new_value_is_a_surge_when_it_comes_in_numbers(made_up) -> None:
    assert _flags(made_up, "new_in_numbers") == [ODD_DAY]
    row = made_up.loc[("new_in_numbers", ODD_DAY)]
    assert row["is_new_value"] and row["surge_level"] == "critical"
    # None on the 27 days before that were no holiday (Memorial Day, 25 May, is left out): at most 3 / 27 a day
    # expected (the rule of three).
    assert row["expected_count"] == pytest.approx(3 / 27)
    assert _flags(made_up, "new_trickle") == []
    assert made_up.loc[("new_trickle", ODD_DAY), "is_new_value"]


def test_a_holiday_that_doubles_volume_is_expected_to_after_a_year(made_up) -> None:
    thanksgiving = dt.date(2026, 11, 26)
    row = made_up.loc[("holidays_double", thanksgiving)]
    # Its effect from Thanksgiving 2025 (200 against 100), with the prior 1.2 worth 10 complaints:
    # (200 + 1.2 x 10) / (100 + 10) = 1.927.
    assert row["holiday_effect"] == pytest.approx(212 / 110)
    assert row["expected_count"] == pytest.approx(100 * 212 / 110)
    assert _flags(made_up, "holidays_double") == []


def test_quiet_holidays_and_the_new_year_week_do_not_make_january_look_like_a_surge(made_up) -> None:
    assert _flags(made_up, "holidays_quiet") == []
    january = made_up.loc["holidays_quiet"].loc[dt.date(2026, 1, 5) : dt.date(2026, 1, 31)]
    ordinary = january[~january.index.isin(list(HOLIDAYS))]
    assert (ordinary["expected_count"] == 100).all(), ordinary["expected_count"]
    assert made_up.loc[("holidays_quiet", dt.date(2026, 12, 25)), "holiday_effect"] < 0.45


def _labelled(name: str) -> set[tuple]:
    labels = pd.read_csv(REAL / f"{name}_labels.csv", dtype=str, keep_default_na=False)
    return {(dt.date.fromisoformat(d), dim, v) for d, dim, v in labels[["date", "dimension", "value"]].to_numpy()}


# min_f1: the F1 of the best comparison benchmarks/surge_evaluation.py prints for the series (a 3-sigma score
# of the same weekday over 12 weeks on both), which the model must not fall below.
@pytest.mark.parametrize(
    ("name", "spikes", "min_f1"),
    [
        # FCC complaints about Comcast, 2015: the spike of 23-24 June (190 and 218 against some 30 a day).
        ("comcast_fcc_2015", [(dt.date(2015, 6, 23), "total", "all"), (dt.date(2015, 6, 24), "total", "all")], 0.681),
        # CFPB, every complaint 2011-2017: the day after the CFPB sued Navient (2017-01-18).
        ("cfpb_total_2011_2017", [(dt.date(2017, 1, 19), "total", "all")], 0.423),
    ],
)
def test_real_series_documented_spikes_are_flagged_and_no_holiday(tmp_path_factory, name, spikes, min_f1) -> None:
    counts = surges.read_series(REAL / f"{name}.csv")
    scored, _ = surges.score_series(_settings(tmp_path_factory, name), counts)
    flagged = {
        (d, dim, v)
        for d, dim, v in scored.loc[scored["is_surge"], ["surge_date", "dimension_name", "dimension_value"]].to_numpy()
    }
    assert set(spikes) <= flagged
    assert not {d for d, _, _ in flagged} & set(public_holidays("US", tuple(range(2011, 2018))))
    # The first 28 days are every baseline's history (benchmarks/surge_evaluation.py scores the same way).
    scored_from = min(counts["date"]) + dt.timedelta(days=28)
    labels = {key for key in _labelled(name) if key[0] >= scored_from}
    flagged = {key for key in flagged if key[0] >= scored_from}
    precision, recall = len(flagged & labels) / len(flagged), len(flagged & labels) / len(labels)
    assert 2 * precision * recall / (precision + recall) >= min_f1, (precision, recall)
