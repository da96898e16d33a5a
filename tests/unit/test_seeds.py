"""The calendar and the seeds dbt uses agree with what the generator uses."""

from __future__ import annotations

import csv
import datetime as dt

from helpers import REPO_ROOT

from complaints_pipeline import business_calendar as calendar


def test_holiday_rows_come_from_the_holidays_package_for_any_year_and_subdivision() -> None:
    rows = calendar.holiday_rows("CN", "", 2011, 2012)
    assert (dt.date(2011, 10, 1), "CN", "", "National Day") in rows
    assert {r[0].year for r in rows} == {2011, 2012}
    national = {r[0] for r in calendar.holiday_rows("US", "", 2017, 2017)}
    texas = {r[0] for r in calendar.holiday_rows("US", "TX", 2017, 2017)}
    assert dt.date(2017, 7, 4) in national
    assert texas - national  # Texas adds its own days (Texas Independence Day, 2 March)
    assert dt.date(2017, 3, 2) in texas


def test_working_days() -> None:
    assert calendar.is_working_day(dt.date(2026, 9, 8), "CN")  # a Tuesday
    assert not calendar.is_working_day(dt.date(2026, 9, 12), "CN")  # a Saturday
    assert not calendar.is_working_day(dt.date(2026, 10, 1), "CN")  # National Day, a Thursday


def test_categorisation_seed_knows_every_keyword_the_generator_writes() -> None:
    from complaints_pipeline.sample_data import CATEGORY_KEYWORDS

    with (REPO_ROOT / "dbt_project" / "seeds" / "category_keywords.csv").open(encoding="utf-8") as handle:
        seed = {(r["keyword"], r["language_code"], r["category"]) for r in csv.DictReader(handle)}
    generated = {(k, lang, cat) for cat, langs in CATEGORY_KEYWORDS.items() for lang, ks in langs.items() for k in ks}
    assert generated <= seed, f"keywords missing from the seed: {sorted(generated - seed)}"
