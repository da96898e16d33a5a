"""Working days and public holidays, shared by the sample generator, the loader and the dbt date dimension.

The holidays come from the maintained ``holidays`` package for the configured country (and subdivision,
e.g. a US state): the loader writes those of every year its data touches into ``raw.public_holidays``,
which dbt's ``dates`` reads, so the calendar covers any year the data holds.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def public_holidays(country: str, years: tuple[int, ...], subdivision: str = "") -> dict[dt.date, str]:
    calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=list(years))
    return dict(calendar.items())


def is_holiday(day: dt.date, country: str, subdivision: str = "") -> bool:
    return day in public_holidays(country, (day.year,), subdivision)


def is_working_day(day: dt.date, country: str, subdivision: str = "") -> bool:
    return day.weekday() < 5 and not is_holiday(day, country, subdivision)


def holiday_rows(country: str, subdivision: str, first_year: int, last_year: int) -> list[tuple]:
    """raw.public_holidays' rows for these years: (date, country, subdivision, name)."""
    days = public_holidays(country, tuple(range(first_year, last_year + 1)), subdivision)
    return [(day, country, subdivision, name) for day, name in sorted(days.items())]
