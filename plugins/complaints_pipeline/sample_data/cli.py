"""Write synthetic complaint files for the four channels.

`python -m complaints_pipeline.sample_data` (and `complaints generate`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from complaints_pipeline.sample_data.days import DEFAULTS, generate
from complaints_pipeline.sample_data.model import DaySummary
from complaints_pipeline.sample_data.parameters import WEEKDAY_NAMES

# --- command line -----------------------------------------------------------------------------------


def _day_line(d: DaySummary) -> str:
    counts = " ".join(f"{ch}={c.generated}" for ch, c in d.counts.items())
    bad = sum(c.bad for c in d.counts.values())
    flags = " holiday" if d.is_holiday else ""
    surges = "".join(f" surge={s.dimension}:{s.value}x{s.multiplier}" for s in d.surges)
    return f"{d.day.isoformat()} {WEEKDAY_NAMES[d.day.weekday()][:3]} {counts} total={d.total} bad={bad}{flags}{surges}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m complaints_pipeline.sample_data",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--start", required=True, type=dt.date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=dt.date.fromisoformat, help="last day, inclusive")
    parser.add_argument("--out", required=True, type=Path, help="landing root, e.g. var/landing")
    parser.add_argument("--per-day", type=int, default=DEFAULTS["per_day"], help="records on an ordinary weekday")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="the same seed writes the same files")
    parser.add_argument("--country", default=DEFAULTS["country"], help="public holidays of this country")
    parser.add_argument("--local-tz", default=DEFAULTS["local_tz"], help="call-centre time zone")
    args = parser.parse_args(argv)
    summary = generate(
        args.start,
        args.end,
        args.out,
        per_day=args.per_day,
        seed=args.seed,
        country=args.country,
        local_tz=args.local_tz,
        on_day=lambda d: print(_day_line(d), flush=True),
    )
    for s in summary.surges:
        print(f"surge {s.start} +{s.days}d {s.dimension}={s.value} x{s.multiplier}")
    print(
        f"total {summary.total} records ({summary.total_updates} updates of complaints already registered,"
        f" {summary.total_bad} bad) over {len(summary.days)} days in {args.out}"
    )
    return 0
