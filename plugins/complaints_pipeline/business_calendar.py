"""Working days and public holidays, shared by the sample generator and the dbt date dimension.

The holiday list comes from the maintained ``holidays`` package for the configured country.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache
from pathlib import Path

import holidays


@lru_cache(maxsize=16)
def public_holidays(country: str, years: tuple[int, ...]) -> dict[dt.date, str]:
    return dict(holidays.country_holidays(country, years=list(years)).items())


def is_holiday(day: dt.date, country: str) -> bool:
    return day in public_holidays(country, (day.year,))


def is_working_day(day: dt.date, country: str) -> bool:
    return day.weekday() < 5 and not is_holiday(day, country)


def write_holiday_seed(path: Path, country: str, first_year: int, last_year: int) -> int:
    """Write the dbt seed of public holidays; returns the number of rows written."""
    rows = sorted(public_holidays(country, tuple(range(first_year, last_year + 1))).items())
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["holiday_date", "country_code", "holiday_name"])
        for day, name in rows:
            writer.writerow([day.isoformat(), country, name])
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    import argparse

    from complaints_pipeline.config import PROJECT_ROOT

    parser = argparse.ArgumentParser(description="Write dbt_project/seeds/public_holidays.csv for a country.")
    parser.add_argument("--country", default="CN")
    parser.add_argument("--first-year", type=int, default=2024)
    parser.add_argument("--last-year", type=int, default=2028)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "dbt_project" / "seeds" / "public_holidays.csv")
    args = parser.parse_args(argv)
    rows = write_holiday_seed(args.out, args.country, args.first_year, args.last_year)
    print(f"{rows} holidays of {args.country} {args.first_year}-{args.last_year} written to {args.out}")


if __name__ == "__main__":
    main()
