"""One surge, one alert, across dimensions: a flag lifted by a stronger surge in another dimension is explained
by it, not alerted on its own.

The marts' concentration check compares a value only with its own dimension (a category surge, not the twenty
products it lifts). A surge in one dimension also lifts values in the others, and not evenly where the two are
related: a web-form surge lifts the regions that complain through the web most, a product's surge lifts its
category. Within the day the lifted values cross their thresholds later than the cause, so without this each
would be one more email.

The rule, for the date's flags taken largest excess (actual - expected) first: a flag S is explained by a flag C
already kept, in another dimension, when S's complaints outside C's value are no surge: fewer than
surge_warning_ratio times their expected count, or not significant (the z-score of macro count_z_score, Poisson
dispersion, below surge_min_z). Their expected count is S's expected count x the share of S's complaints outside
C's value over the HISTORY_DAYS before (within the day: in the flag's hours, through the channels that have
reported today). A flag not explained is kept, and may explain the flags after it. The total is neither.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from complaints_pipeline.alerts import Flag
    from complaints_pipeline.config import Settings

HISTORY_DAYS = 28
DIMENSION_COLUMNS = {"channel": "channel", "category": "complaint_category", "product": "product", "region": "region"}


@functools.cache
def _thresholds(project_file: Path) -> tuple[float, float]:
    variables = yaml.safe_load(project_file.read_text(encoding="utf-8"))["vars"]
    return float(variables["surge_warning_ratio"]), float(variables["surge_min_z"])


def thresholds(settings: Settings) -> tuple[float, float]:
    """The dbt project's surge_warning_ratio and surge_min_z: what makes a rise a surge, as the marts judge it."""
    return _thresholds(settings.dbt_project_dir / "dbt_project.yml")


def z_score(actual: float, expected: float) -> float:
    """macro count_z_score with Poisson dispersion: the 2/3-power transform's distance in normal units."""
    expected = max(expected, 1e-9)
    return 1.5 * (actual ** (2 / 3) - expected ** (2 / 3)) / expected ** (1 / 6)


def explain(con, relation: str, flags: list[Flag], settings: Settings) -> list[Flag]:
    """The date's flags in their order, each one lifted by a stronger surge in another dimension marked
    `explained_by` it."""
    warning_ratio, min_z = thresholds(settings)
    kept: list[Flag] = []
    explained: dict[int, Flag] = {}
    for i in sorted(range(len(flags)), key=lambda i: -_excess(flags[i])):
        flag = flags[i]
        if flag.dimension_name == "total":
            continue
        for cause in kept:
            if cause.dimension_name == flag.dimension_name:
                continue
            rest, expected = _outside(con, relation, flag, cause, settings.local_tz)
            if rest is not None and (rest < warning_ratio * expected or z_score(rest, expected) < min_z):
                explained[i] = replace(flag, explained_by=(cause.dimension_name, cause.dimension_value))
                break
        else:
            kept.append(flag)
    return [explained.get(i, flag) for i, flag in enumerate(flags)]


def _excess(flag: Flag) -> float:
    return flag.actual_count - (flag.expected_count or 0)


def _outside(con, relation: str, flag: Flag, cause: Flag, tz: str) -> tuple[int | None, float]:
    """The flag's complaints outside the cause's value in its span today, and how many of them are expected;
    None when the complaints behind the flag are not there to tell."""
    local = f"cast((received_at at time zone 'UTC') at time zone '{tz}' as timestamp)"
    in_span = "true"
    params: dict = {
        "day": flag.surge_date,
        "first": flag.surge_date - dt.timedelta(days=HISTORY_DAYS),
        "value": flag.dimension_value,
        "cause": cause.dimension_value,
    }
    if flag.as_of is not None:  # within the day: the span's hours, and the history through today's channels
        in_span = (
            f"cast({local} as time) <= $until and cast({local} as time) >= $since"
            f" and channel in (select channel from {relation} where complaint_date = $day and {local} <= $as_of)"
        )
        since = flag.since or dt.datetime.combine(flag.surge_date, dt.time())
        params |= {"until": flag.as_of.time(), "since": since.time(), "as_of": flag.as_of}
    inside = f"coalesce({DIMENSION_COLUMNS[cause.dimension_name]} = $cause, false)"
    today, rest, before, before_outside = con.execute(
        f"""
        select
            count(case when complaint_date = $day then 1 end),
            count(case when complaint_date = $day and not {inside} then 1 end),
            count(case when complaint_date < $day then 1 end),
            count(case when complaint_date < $day and not {inside} then 1 end)
        from {relation}
        where {DIMENSION_COLUMNS[flag.dimension_name]} = $value
            and complaint_date between $first and $day and {in_span}
        """,
        params,
    ).fetchone()
    if today == 0:
        return None, 0.0
    outside_share = before_outside / before if before else 1.0
    return rest, (flag.expected_count or 0) * outside_share
