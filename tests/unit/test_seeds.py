"""The seeds dbt uses agree with the calendar and the keywords the generator uses."""

from __future__ import annotations

import csv
import datetime as dt

from conftest import REPO_ROOT

from complaints_pipeline import business_calendar as calendar


def test_holiday_seed_matches_the_holidays_package() -> None:
    with (REPO_ROOT / "dbt_project" / "seeds" / "public_holidays.csv").open(encoding="utf-8") as handle:
        seed = {dt.date.fromisoformat(r["holiday_date"]) for r in csv.DictReader(handle)}
    library = set(calendar.public_holidays("CN", tuple(range(2024, 2029))))
    assert seed == library
    assert dt.date(2026, 10, 1) in seed  # National Day


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
