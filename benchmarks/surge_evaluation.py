"""Surge flags measured against the sample generator's injected surges, next to a plain 3-sigma z-score.

    PYTHONPATH=plugins .venv/bin/python benchmarks/surge_evaluation.py --start 2025-01-01 --end 2026-12-31

Each day's counts per channel, category, product and region come from the generator's own random
streams (sample_data.count_day: what its files would hold, without writing them), go into a scratch
warehouse as `int_complaints_counted`, and dbt builds the project's real `complaint_surges_daily` on
them. The generator chooses its surges from the seed (about one every 10 days, 2x to 5x, 1 to 3 days,
never on a holiday) and raises public holidays by 20 %.

Ground truth is per series and day: the factor by which the injected surges raise the series' expected
volume. A surge of one value raises its own series by its multiplier, and the total, and every series
of the other dimensions, by its share of the volume (a 4x surge of a region with 17 % of complaints
raises the total by 1 + 3 x 0.17 = 1.51x).

- recall: of the series-days raised 2x or more, the share flagged (warning or critical);
- precision: of the flags, the share on a series-day raised at least 1.3x (the watch ratio: the least
  rise any level names), and at least 1.5x (the warning ratio: counts a true 1.45x seen as 1.52x wrong);
- false alarms: flags on series-days no surge touched at all;
- holiday flags: flags on public holidays (no surge is injected on one; must be 0);
- surges found: injected surges whose own series was flagged on at least one of their days.

A surge shows in every dimension (a 4x phone surge raises each product and region 2.2x), so the model
also marks whether a flagged value stands out from its dimension's other values (`is_concentrated`).
Strict figures count only those flags, and only the injected value's own series as right.

The comparison is what data-observability tools commonly use: the same weekday over the trailing
weeks, mean and standard deviation, flag at z >= 3; no holiday calendar, no exclusion of past surges,
no volume floor. Printed for the model's 4-week window and for a 12-week one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from scratch import scratch_settings  # noqa: E402

from complaints_pipeline import sample_data as sd  # noqa: E402
from complaints_pipeline import transform, warehouse  # noqa: E402
from complaints_pipeline.business_calendar import is_holiday  # noqa: E402
from complaints_pipeline.reference import CATEGORY_SHARE, CHANNEL_SHARE, CHANNELS  # noqa: E402

LOADED_AT = dt.datetime(2000, 1, 1)
RECALL_FACTOR = 2.0  # the bar: surges of 2x baseline or more
PRECISION_FACTOR = 1.3  # a material rise: var surge_watch_ratio, the least any level names
WARNING_FACTOR = 1.5  # var surge_warning_ratio, what a warning-level flag claims


def shares() -> dict[str, dict[str, float]]:
    return {
        "total": {"all": 1.0},
        "channel": dict(CHANNEL_SHARE),
        "category": dict(CATEGORY_SHARE),
        "product": dict(sd.PRODUCT_SHARE),
        "region": dict(sd.REGION_SHARE),
    }


def true_factor(dimension: str, value: str, day: dt.date, surges: list[sd.Surge]) -> float:
    """How much the surges active on ``day`` raise the series' expected volume (1.0: untouched)."""
    share = shares()
    extra = 0.0  # in units of the day's whole expected volume
    for surge in surges:
        if not surge.covers(day):
            continue
        surge_extra = (surge.multiplier - 1) * share[surge.dimension][surge.value]
        if dimension == "total":
            extra += surge_extra
        elif dimension == surge.dimension:
            extra += surge_extra if value == surge.value else 0.0
        else:
            extra += surge_extra * share[dimension][value]
    return 1 + extra / share[dimension][value]


def counts_table(start: dt.date, end: dt.date, per_day: int, seed: int, surges: list[sd.Surge]) -> pa.Table:
    columns: dict[str, list] = {k: [] for k in ("complaint_date", "dimension_name", "dimension_value", "count")}
    day = start
    while day <= end:
        counts = sd.count_day(day, per_day, seed, surges=surges)
        counts["total"] = {"all": sum(counts["channel"].values())}
        for dimension, values in counts.items():
            for value, n in values.items():
                columns["complaint_date"].append(day)
                columns["dimension_name"].append(dimension)
                columns["dimension_value"].append(value)
                columns["count"].append(n)
        day += dt.timedelta(days=1)
    return pa.table(columns)


def total_complaints(counts: pa.Table) -> int:
    return pc.sum(pc.filter(counts["count"], pc.equal(counts["dimension_name"], "total"))).as_py()


def truth_table(start: dt.date, end: dt.date, surges: list[sd.Surge]) -> pa.Table:
    columns: dict[str, list] = {k: [] for k in ("surge_date", "dimension_name", "dimension_value", "factor")}
    day = start
    while day <= end:
        for dimension, values in shares().items():
            for value in values:
                columns["surge_date"].append(day)
                columns["dimension_name"].append(dimension)
                columns["dimension_value"].append(value)
                columns["factor"].append(true_factor(dimension, value, day, surges))
        day += dt.timedelta(days=1)
    return pa.table(columns)


def build_surges(settings, counts: pa.Table, days: list[dt.date]) -> float:
    """Load the counts as int_complaints_counted and build complaint_surges_daily on them; dbt seconds."""
    con = warehouse.Connection(settings)
    try:
        warehouse.ensure_schema(con, list(CHANNELS))
        con.executemany(
            "insert into raw.load_reconciliation (channel, partition_date, files, records_in, loaded, quarantined,"
            " skipped, loaded_at) values (?, ?, 1, 0, 0, 0, 0, ?)",
            [[channel, day, LOADED_AT] for channel in CHANNELS for day in days],
        )
        warehouse.ensure_holidays(con, settings.holiday_country, settings.holiday_subdivision)
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table intermediate.int_complaints_counted (complaint_date date, dimension_name"
            " varchar, dimension_value varchar, complaint_count bigint, loaded_at timestamp)"
        )
        con.executemany(
            "insert into intermediate.int_complaints_counted values (?, ?, ?, ?, ?)",
            [[*row.values(), LOADED_AT] for row in counts.to_pylist()],
        )
    finally:
        con.close()
    started = time.perf_counter()
    transform.run_dbt(settings, "seed", "--select", "working_schedule")
    transform.run_dbt(
        settings,
        "run",
        "--select",
        "stg_pipeline__channel_days",
        "stg_pipeline__complaint_date_loads",
        "dates",
        "complaint_surges_daily",
    )
    return time.perf_counter() - started


@dataclass
class Scores:
    flags: int
    recall_days: int
    recalled: int
    precise: int
    precise_warning: int
    untouched: int
    holiday: int
    events_found: int

    def line(self, name: str, events: int) -> str:
        recall = self.recalled / self.recall_days if self.recall_days else float("nan")
        precision = self.precise / self.flags if self.flags else float("nan")
        warning = self.precise_warning / self.flags if self.flags else float("nan")
        return (
            f"{name:<34} recall {recall:5.3f} ({self.recalled}/{self.recall_days})  "
            f"precision {precision:5.3f} ({self.precise}/{self.flags}), at {WARNING_FACTOR}x {warning:5.3f}  "
            f"false alarms {self.untouched:4d}  holiday flags {self.holiday:3d}  "
            f"surges found {self.events_found}/{events}"
        )


SCORE_SQL = f"""
with judged as (
    select flagged.*, truth.factor, dates.is_holiday
    from flagged
    inner join truth using (surge_date, dimension_name, dimension_value)
    inner join dates on flagged.surge_date = dates.day
)
select
    count(*) filter (where is_flag) as flags,
    count(*) filter (where factor >= {RECALL_FACTOR}) as recall_days,
    count(*) filter (where factor >= {RECALL_FACTOR} and is_flag) as recalled,
    count(*) filter (where factor >= {PRECISION_FACTOR} and is_flag) as precise,
    count(*) filter (where factor >= {WARNING_FACTOR} and is_flag) as precise_warning,
    count(*) filter (where factor = 1 and is_flag) as untouched,
    count(*) filter (where is_holiday and is_flag) as holiday
from judged
"""

EVENTS_SQL = """
select count(distinct surge_id)
from injected
inner join flagged
    on flagged.is_flag
    and flagged.dimension_name = injected.dimension
    and flagged.dimension_value = injected.value
    and flagged.surge_date between injected.first_day and injected.last_day
"""


WATCH_SQL = "select count(*) from marts.complaint_surges_daily where surge_level = 'watch'"

STRICT_SQL = """
with headline as (
    select surge_date, dimension_name, dimension_value
    from marts.complaint_surges_daily
    where is_surge and is_concentrated and dimension_name != 'total'
),
own as (
    select injected.dimension as dimension_name, injected.value as dimension_value, dates.day as surge_date
    from injected
    inner join dates on dates.day between injected.first_day and injected.last_day
)
select
    (select count(*) from headline),
    (select count(*) from headline inner join own using (surge_date, dimension_name, dimension_value)),
    (select count(*) from own)
"""


def plain_sql(weeks: int) -> str:
    """Same weekday, trailing weeks, mean and sample standard deviation, flag at z >= 3."""
    return f"""
    with scored as (
        select
            complaint_date as surge_date, dimension_name, dimension_value, "count",
            avg("count") over same_weekdays as mean_count,
            stddev_samp("count") over same_weekdays as sd_count,
            count(*) over same_weekdays as weeks_seen
        from counts
        window same_weekdays as (
            partition by dimension_name, dimension_value, isodow(complaint_date)
            order by complaint_date rows between {weeks} preceding and 1 preceding
        )
    )
    select surge_date, dimension_name, dimension_value,
           coalesce(weeks_seen >= 2 and sd_count > 0 and ("count" - mean_count) / sd_count >= 3, false) as is_flag
    from scored
    """


def score(con, flagged_sql: str) -> Scores:
    con.execute(f"create or replace temp view flagged as {flagged_sql}")
    row = con.execute(SCORE_SQL).fetchone()
    events = con.execute(EVENTS_SQL).fetchone()[0]
    return Scores(*row, events_found=events)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 12, 31))
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--home", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    settings = scratch_settings(args.home, "surge-eval-")
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    settings.warehouse_path.unlink(missing_ok=True)

    days = [args.start + dt.timedelta(days=k) for k in range((args.end - args.start).days + 1)]
    surges = sd.choose_surges(args.start, args.end, args.seed)
    started = time.perf_counter()
    counts = counts_table(args.start, args.end, args.per_day, args.seed, surges)
    print(
        f"{len(days)} days from {args.start} to {args.end}, {args.per_day:,} complaints on an ordinary Wednesday, "
        f"seed {args.seed}: {total_complaints(counts):,} complaints counted in "
        f"{time.perf_counter() - started:.1f} s"
    )
    surge_days = sum(s.days for s in surges)
    holidays = sum(is_holiday(d, "CN") for d in days)
    print(
        f"{len(surges)} injected surges on {surge_days} days "
        f"({min(s.multiplier for s in surges)}x to {max(s.multiplier for s in surges)}x); {holidays} public holidays"
    )
    seconds = build_surges(settings, counts, days)
    print(f"dbt: complaint_surges_daily built over {len(days)} days in {seconds:.1f} s")

    con = warehouse.connect(settings.warehouse_path, read_only=True)
    try:
        con.register("counts", counts)
        con.register("truth", truth_table(args.start, args.end, surges))
        con.register(
            "dates",
            pa.table({"day": days, "is_holiday": [is_holiday(d, "CN") for d in days]}),
        )
        con.register(
            "injected",
            pa.table(
                {
                    "surge_id": list(range(len(surges))),
                    "dimension": [s.dimension for s in surges],
                    "value": [s.value for s in surges],
                    "first_day": [s.start for s in surges],
                    "last_day": [s.end for s in surges],
                }
            ),
        )
        model = score(
            con,
            "select surge_date, dimension_name, dimension_value, is_surge as is_flag from marts.complaint_surges_daily",
        )
        headline, headline_right, own_days = con.execute(STRICT_SQL).fetchone()
        plain = {weeks: score(con, plain_sql(weeks)) for weeks in (4, 12)}
        watch = con.execute(WATCH_SQL).fetchone()[0]
    finally:
        con.close()

    print()
    print(
        f"recall: series-days raised >= {RECALL_FACTOR}x flagged; precision: flags on series-days raised "
        f">= {PRECISION_FACTOR}x; false alarms: flags where no surge was"
    )
    print(model.line("complaint_surges_daily (warning+)", len(surges)))
    for weeks, scores in plain.items():
        print(scores.line(f"plain 3-sigma, same weekday, {weeks} wk", len(surges)))
    print(
        f"strict, complaint_surges_daily: {headline} flags stand out from their dimension (is_concentrated, "
        f"the total aside); {headline_right} of them on an injected surge's own value and day: precision "
        f"{headline_right / headline:.3f}, recall {headline_right / own_days:.3f} ({headline_right}/{own_days})"
    )
    print(f"(complaint_surges_daily also marked {watch} series-days 'watch', which no alert mails)")


if __name__ == "__main__":
    main()
