"""Surge flags side by side with the methods outbreak surveillance uses, on real or generated daily counts.

    # a real series: daily counts and its labelled surge days (tests/fixtures/real/series/SOURCES.md)
    PYTHONPATH=plugins .venv/bin/python benchmarks/surge_evaluation.py \\
        --series tests/fixtures/real/series/comcast_fcc_2015.csv --country US
    # the sample generator's counts, its injected surges as the labels
    PYTHONPATH=plugins .venv/bin/python benchmarks/surge_evaluation.py --start 2025-01-01 --end 2026-12-31

A series file is CSV `date,dimension,value,count` (every day of its range, zeros included); its labels
are `<name>_labels.csv`, `date,dimension,value,event` (or --labels), one row per surge day of a series.
The counts go into a scratch warehouse as `int_complaints_counted`, and dbt builds the project's own
`complaint_surges_daily` on them (holidays of --country). Side by side, computed here on the same counts:

- 3-sigma, same weekday: the mean and standard deviation of the same weekday over the trailing 4 (or
  12) weeks, flag at z >= 3 (what data-observability tools commonly do);
- EARS C2 (CDC): the mean and standard deviation of the 7 days ending 3 days before, flag at z >= 3;
- Farrington-style: a quasi-Poisson regression (statsmodels) on the 12 weeks before the day, with a
  weekday effect and a linear trend kept only when significant and when it does not extrapolate past
  the window's largest count; past outbreaks down-weighted by their Anscombe residuals (weight 1/s^2
  for s > 1) and refitted; flag above the upper 99 % bound of the 2/3-power transformed prediction,
  and only with 5 or more complaints in the last 4 weeks (Farrington et al. 1996; Noufaily et al. 2013).

Every detector is scored on the same series-days: all but the first 28 days of the range (a baseline
needs history). A flag is the model's warning or critical level, any flag of the others.
- recall: labelled surge days flagged; precision: flags on a labelled day (for generated data also a
  day any injected surge raised 1.3x or more: the least rise the model's levels name); F1 of the two;
- false alarms per month: flags on an unlabelled day (generated: a day no surge touched), per 30 days
  of the range evaluated, over all series of the file;
- holiday flags: flags on public holidays; days to flag: from the first day of a surge (a run of
  labelled days of one series) to its first flag, median over the surges flagged at all.

The generator's labels: a series-day is a surge if the injected surges raise its expected volume 2x or
more. A surge of one value raises its own series by its multiplier, and the total and every series of the
other dimensions by its share of the volume (a 4x surge of a region with 17 % of complaints raises the
total 1.51x). For generated data the script also prints the strict figures: flags that stand out from
their dimension (`is_concentrated`), and only the injected value's own series counted as right.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

import harness  # noqa: E402
from scratch import scratch_settings  # noqa: E402

from complaints_pipeline import sample_data as sd  # noqa: E402
from complaints_pipeline import surges  # noqa: E402
from complaints_pipeline.business_calendar import public_holidays  # noqa: E402
from complaints_pipeline.reference import CATEGORY_SHARE, CHANNEL_SHARE  # noqa: E402
from complaints_pipeline.sample_data.parameters import PRODUCT_SHARE, REGION_SHARE  # noqa: E402

BURN_IN_DAYS = 28
RECALL_FACTOR = 2.0  # generated data: a surge is a rise of 2x or more
PRECISION_FACTOR = 1.3  # var surge_watch_ratio: the least rise any level names
KEY = ["date", "dimension", "value"]


# ---------------------------------------------------------------- the series and their labels


@dataclasses.dataclass
class Evaluation:
    name: str
    counts: pd.DataFrame  # date, dimension, value, count
    labels: pd.DataFrame  # date, dimension, value: the surge days
    # Flags on these series-days count as right but are not needed for recall (generated data: a rise of
    # 1.3x to 2x); flags on none of them and on no label are false alarms.
    right: pd.DataFrame
    untouched: pd.DataFrame | None = None  # generated data: the series-days no surge raised at all
    surges: list[sd.Surge] = dataclasses.field(default_factory=list)


def read_series(path: Path, labels: Path | None) -> Evaluation:
    counts = surges.read_series(path)
    labels_path = labels or path.with_name(path.stem + "_labels.csv")
    labelled = pd.read_csv(labels_path, dtype=str, keep_default_na=False)
    labelled["date"] = pd.to_datetime(labelled["date"]).dt.date
    labelled = labelled[KEY].drop_duplicates()
    unknown = labelled.merge(counts[KEY], on=KEY, how="left", indicator=True).query("_merge == 'left_only'")
    if len(unknown):
        example = unknown.iloc[0].to_dict()
        raise SystemExit(f"{labels_path}: {len(unknown)} labelled days are not in {path}, e.g. {example}")
    return Evaluation(path.stem, counts, labelled, labelled)


def shares() -> dict[str, dict[str, float]]:
    return {
        "total": {"all": 1.0},
        "channel": dict(CHANNEL_SHARE),
        "category": dict(CATEGORY_SHARE),
        "product": dict(PRODUCT_SHARE),
        "region": dict(REGION_SHARE),
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


def generated(start: dt.date, end: dt.date, per_day: int, seed: int) -> Evaluation:
    """The generator's counts (sample_data.count_day: what its files would hold) and its injected surges."""
    surges = sd.choose_surges(start, end, seed)
    rows = []
    day = start
    while day <= end:
        counts = sd.count_day(day, surges, per_day=per_day, seed=seed)
        counts["total"] = {"all": sum(counts["channel"].values())}
        for dimension, values in counts.items():
            for value, n in values.items():
                rows.append((day, dimension, value, n, true_factor(dimension, value, day, surges)))
        day += dt.timedelta(days=1)
    frame = pd.DataFrame(rows, columns=[*KEY, "count", "factor"])
    return Evaluation(
        name=f"generated {start} to {end}, {per_day:,} a day, seed {seed}",
        counts=frame[[*KEY, "count"]],
        labels=frame.loc[frame["factor"] >= RECALL_FACTOR, KEY],
        right=frame.loc[frame["factor"] >= PRECISION_FACTOR, KEY],
        untouched=frame.loc[frame["factor"] == 1.0, KEY],
        surges=surges,
    )


# ---------------------------------------------------------------- the comparisons, on the same counts


def wide(counts: pd.DataFrame) -> pd.DataFrame:
    """Days x series, every day of the range."""
    table = counts.pivot_table(index="date", columns=["dimension", "value"], values="count", aggfunc="sum")
    days = pd.date_range(min(counts["date"]), max(counts["date"]), freq="D").date
    return table.reindex(days).fillna(0).astype(float)


def long(flags: pd.DataFrame) -> pd.DataFrame:
    out = flags.stack(["dimension", "value"], future_stack=True).rename("flag").reset_index()
    return out.rename(columns={"level_0": "date", "index": "date"})[[*KEY, "flag"]]


def same_weekday_sigma(counts: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """Mean and sample standard deviation of the same weekday over the trailing weeks; flag at z >= 3."""
    table = wide(counts)
    flags = pd.DataFrame(False, index=table.index, columns=table.columns)
    for weekday in range(7):
        rows = [d for d in table.index if d.weekday() == weekday]
        part = table.loc[rows]
        past = part.shift(1).rolling(weeks, min_periods=2)
        mean, sd_ = past.mean(), past.std()
        flags.loc[rows] = ((part - mean) / sd_ >= 3) & (sd_ > 0)
    return long(flags)


def ears_c2(counts: pd.DataFrame) -> pd.DataFrame:
    """CDC EARS C2: the 7 days ending 3 days before the day, mean and standard deviation; flag at z >= 3."""
    table = wide(counts)
    past = table.shift(3).rolling(7, min_periods=7)
    mean, sd_ = past.mean(), past.std()
    z = (table - mean) / sd_
    flags = (z >= 3) | ((sd_ == 0) & (table > mean))
    return long(flags.fillna(False))


def farrington(counts: pd.DataFrame, window_days: int = 84, alpha: float = 0.01) -> pd.DataFrame:
    """Farrington-style quasi-Poisson regression over the trailing window (docstring at the top)."""
    import statsmodels.api as sm
    from scipy.stats import norm

    table = wide(counts)
    z = norm.ppf(1 - alpha)
    n_days = len(table.index)
    t_all = np.arange(n_days, dtype=float)
    weekday = np.array([d.weekday() for d in table.index])
    dummies = np.zeros((n_days, 6))
    for k in range(1, 7):
        dummies[:, k - 1] = weekday == k
    flags = np.zeros(table.shape, dtype=bool)
    for j, column in enumerate(table.columns):
        y_all = table[column].to_numpy()
        for i in range(BURN_IN_DAYS, n_days):
            lo = max(0, i - window_days)
            y = y_all[lo:i]
            if y_all[max(0, i - 27) : i + 1].sum() < 5 or y.sum() == 0:
                continue  # Farrington: no alarm with fewer than 5 complaints in the last 4 weeks
            flags[i, j] = _farrington_alarm(sm, y, t_all[lo:i], dummies[lo:i], t_all[i], dummies[i], y_all[i], z)
    return long(pd.DataFrame(flags, index=table.index, columns=table.columns))


def _farrington_alarm(sm, y, t, dow, t0, dow0, y0, z) -> bool:
    keep = dow.any(axis=0)  # weekdays the window holds
    base = np.column_stack([np.ones(len(y)), dow[:, keep]])
    x0_base = np.concatenate([[1.0], dow0[keep]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for with_trend in (True, False):
            x = np.column_stack([base, t]) if with_trend else base
            x0 = np.concatenate([x0_base, [t0]]) if with_trend else x0_base
            fit = _reweighted_fit(sm, y, x)
            if fit is None:
                return False
            fitted, phi = fit
            if with_trend and (fitted.pvalues[-1] > 0.05 or math.exp(x0 @ fitted.params) > y.max()):
                continue  # no significant trend, or it extrapolates past the window: refit without
            eta = float(x0 @ fitted.params)
            mu0 = math.exp(eta)
            var_eta = float(x0 @ fitted.cov_params() @ x0)
            tau = phi * mu0 + mu0**2 * var_eta
            upper = mu0 * (1 + (2 / 3) * z * math.sqrt(tau) / mu0) ** 1.5
            return bool(y0 > upper)
    return False


def _reweighted_fit(sm, y, x):
    """Quasi-Poisson fit, then past outbreaks down-weighted by their Anscombe residuals and refitted."""
    try:
        first = sm.GLM(y, x, family=sm.families.Poisson()).fit()
        mu = first.mu
        phi = max(1.0, float(np.sum((y - mu) ** 2 / mu)) / max(len(y) - x.shape[1], 1))
        anscombe = 1.5 * (np.cbrt(y) ** 2 - np.cbrt(mu) ** 2) / (mu ** (1 / 6) * math.sqrt(phi))
        weights = np.where(anscombe > 1, anscombe**-2.0, 1.0)
        weights *= len(y) / weights.sum()
        fitted = sm.GLM(y, x, family=sm.families.Poisson(), var_weights=weights).fit(scale="X2")
        phi = max(1.0, float(fitted.scale))
        return fitted, phi
    except (ValueError, np.linalg.LinAlgError):
        return None


# ---------------------------------------------------------------- scoring


def score(evaluation: Evaluation, flags: pd.DataFrame, holidays: set[dt.date]) -> dict[str, float]:
    first = min(evaluation.counts["date"]) + dt.timedelta(days=BURN_IN_DAYS)
    days = sorted(d for d in evaluation.counts["date"].unique() if d >= first)
    flagged = flags.loc[flags["flag"].astype(bool) & (flags["date"] >= first), KEY]
    labels = evaluation.labels[evaluation.labels["date"] >= first]

    def hits(a: pd.DataFrame, b: pd.DataFrame) -> int:
        return len(a.merge(b, on=KEY))

    right = hits(flagged, evaluation.right.drop_duplicates())
    recalled = hits(labels, flagged)
    # Generated data: a flag where no surge was; real: a flag on no labelled day.
    untouched = evaluation.untouched
    false_alarms = len(flagged) - right if untouched is None else hits(flagged, untouched)
    recall = recalled / len(labels) if len(labels) else math.nan
    precision = right / len(flagged) if len(flagged) else math.nan
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    delays, found, events = [], 0, 0
    flagged_set = set(map(tuple, flagged.to_numpy()))
    for _, run in _runs(labels):
        events += 1
        first_flag = next((k for k, key in enumerate(run) if key in flagged_set), None)
        if first_flag is not None:
            found += 1
            delays.append(first_flag)
    return {
        "recall": recall,
        "recalled": recalled,
        "labelled": len(labels),
        "precision": precision,
        "right": right,
        "flags": len(flagged),
        "f1": f1,
        "false_per_month": false_alarms / (len(days) / 30.0),
        "holiday_flags": int(flagged["date"].isin(holidays).sum()),
        "days_to_flag": float(np.median(delays)) if delays else math.nan,
        "surges_found": found,
        "surges": events,
    }


def _runs(labels: pd.DataFrame):
    """Surges: runs of consecutive labelled days of one series, each as its list of (date, dimension, value)."""
    for (dimension, value), part in labels.sort_values("date").groupby(["dimension", "value"]):
        run: list[tuple] = []
        for day in part["date"]:
            if run and (day - run[-1][0]).days > 1:
                yield (dimension, value), run
                run = []
            run.append((day, dimension, value))
        if run:
            yield (dimension, value), run


def line(name: str, s: dict[str, float]) -> str:
    return (
        f"{name:<30} {s['recall']:6.3f} {s['precision']:9.3f} {s['f1']:6.3f}   {s['false_per_month']:8.2f}"
        f"   {s['holiday_flags']:8d}   {s['days_to_flag']:7.1f}   {s['surges_found']:>4}/{s['surges']:<4}"
        f"  ({s['recalled']}/{s['labelled']} labelled, {s['right']}/{s['flags']} flags right)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=Path, help="a daily count series (CSV date,dimension,value,count)")
    parser.add_argument("--labels", type=Path, help="its labelled surge days (default <series>_labels.csv)")
    parser.add_argument(
        "--complaints", type=Path, help="its complaints, date,channel,state (default <series>_complaints.csv if any)"
    )
    parser.add_argument("--country", default=None, help="public holidays of this country (default: the setting)")
    parser.add_argument("--subdivision", default="", help="and of this subdivision (a US state, ...)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 12, 31))
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--vars", default=None, help="dbt vars for the model, e.g. '{surge_min_z: 3}'")
    parser.add_argument("--skip-farrington", action="store_true", help="leave out the slowest comparison")
    parser.add_argument("--home", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    harness.header(__doc__.strip().splitlines()[0], **vars(args))
    logging.basicConfig(level=logging.WARNING)

    settings = scratch_settings(args.home, "surge-eval-")
    settings = settings.model_copy(
        update={"holiday_country": args.country or settings.holiday_country, "holiday_subdivision": args.subdivision}
    )
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    settings.warehouse_path.unlink(missing_ok=True)

    started = time.perf_counter()
    evaluation = (
        read_series(args.series, args.labels)
        if args.series
        else generated(args.start, args.end, args.per_day, args.seed)
    )
    counts = evaluation.counts
    days = sorted(counts["date"].unique())
    years = tuple(range(days[0].year, days[-1].year + 1))
    holidays = set(public_holidays(settings.holiday_country, years, settings.holiday_subdivision))
    series = counts.groupby(["dimension", "value"]).ngroups
    total = counts.loc[counts["dimension"] == "total", "count"]
    print(
        f"{evaluation.name}: {len(days)} days from {days[0]} to {days[-1]}, {series} series"
        f"{f', {total.sum():,} complaints (median {total.median():.0f} a day)' if len(total) else ''}; "
        f"{len(evaluation.labels)} labelled surge days; "
        f"{sum(d in holidays for d in days)} public holidays of {settings.holiday_country}"
        f" ({time.perf_counter() - started:.1f} s)"
    )
    if evaluation.surges:
        print(
            f"{len(evaluation.surges)} injected surges on {sum(s.days for s in evaluation.surges)} days "
            f"({min(s.multiplier for s in evaluation.surges)}x to {max(s.multiplier for s in evaluation.surges)}x)"
        )

    model, seconds = surges.score_series(settings, counts, args.vars)
    print(f"dbt: complaint_surges_daily built over {len(days)} days in {seconds:.1f} s")
    model = model.rename(columns={"surge_date": "date", "dimension_name": "dimension", "dimension_value": "value"})
    model["flag"] = model["is_surge"]
    model["concentrated"] = model["is_surge"] & model["is_concentrated"].fillna(False).astype(bool)
    detectors = {"complaint_surges_daily": model[[*KEY, "flag"]]}
    for weeks in (4, 12):
        detectors[f"3-sigma same weekday, {weeks} wk"] = same_weekday_sigma(counts, weeks)
    detectors["EARS C2"] = ears_c2(counts)
    if not args.skip_farrington:
        started = time.perf_counter()
        detectors["Farrington-style"] = farrington(counts)
        print(f"Farrington-style regressions: {time.perf_counter() - started:.1f} s")

    print()
    print(f"scored on {len(days) - BURN_IN_DAYS} days (the first {BURN_IN_DAYS} are every baseline's history)")
    print(f"{'detector':<30} recall precision     F1  false/month  holiday flags  days to flag  surges found")
    for name, flags in detectors.items():
        print(line(name, score(evaluation, flags, holidays)))
    if evaluation.surges:
        own = {
            (day, s.dimension, s.value)
            for s in evaluation.surges
            for day in (s.start + dt.timedelta(days=k) for k in range(s.days))
        }
        headline = model[model["concentrated"].astype(bool) & (model["dimension"] != "total")]
        right = sum(tuple(r) in own for r in headline[KEY].to_numpy())
        print(
            f"strict, complaint_surges_daily: {len(headline)} flags stand out from their dimension "
            f"(is_concentrated, the total aside); {right} on an injected surge's own value and day: precision "
            f"{right / max(len(headline), 1):.3f}, recall {right / len(own):.3f} ({right}/{len(own)})"
        )
    watch = int((model["surge_level"] == "watch").sum())
    print(f"(complaint_surges_daily also marked {watch} series-days 'watch', which no alert mails)")
    complaints = args.complaints or (args.series and args.series.with_name(args.series.stem + "_complaints.csv"))
    if complaints and complaints.exists():
        across_dimensions(settings, model, complaints)


def across_dimensions(settings, model: pd.DataFrame, path: Path) -> None:
    """One surge, one alert across dimensions (surge_cause.py) on complaints with a channel and a state each:
    how many flags a surge in another dimension explains, the alert lines left, and agreement with the labelling
    rule of tests/fixtures/real/series/SOURCES.md (a state lifted by a channel)."""
    from complaints_pipeline import alerts, surge_cause
    from complaints_pipeline.warehouse import Connection, connect

    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows["date"] = pd.to_datetime(rows["date"]).dt.date
    flagged = model[model["flag"].astype(bool)]
    raw = connect(settings.warehouse_path)
    raw.register("complaint_rows", rows)
    raw.execute("create schema if not exists marts")
    raw.execute("create or replace table marts.complaints as select date as complaint_date, channel,"
                " state as region, null as complaint_category, null as product from complaint_rows")  # fmt: skip
    raw.close()
    with Connection(settings) as con:
        flags: dict[dt.date, list] = {}
        for r in flagged.itertuples():
            dimension = "region" if r.dimension == "state" else r.dimension
            flags.setdefault(r.date, []).append(
                alerts.Flag(
                    r.date,
                    dimension,
                    r.value,
                    int(r.actual_count),
                    float(r.expected_count),
                    float(r.actual_to_expected_ratio),
                    r.surge_level,
                    bool(r.is_concentrated),
                )  # fmt: skip
            )
        explained = {
            day: surge_cause.explain(con, "marts.complaints", day_flags, settings) for day, day_flags in flags.items()
        }

    def lines(plan_flags) -> int:
        return sum(len(alert.flags) for alert in alerts.plan(plan_flags, {}))

    unexplained = {day: [dataclasses.replace(f, explained_by=None) for f in fs] for day, fs in explained.items()}
    both = [day for day, fs in flags.items() if len({f.dimension_name for f in fs} - {"total"}) > 1]
    found = {(day, f.dimension_value): f.explained_by for day, fs in explained.items() for f in fs if f.explained_by}
    standing_out = sum(f.is_concentrated for fs in explained.values() for f in fs if f.explained_by)
    # The labelling rule: a state flagged with a channel is lifted by it when its complaints through the other
    # channel are no more than its most through that channel on any of the 28 days before.
    per_day = rows.groupby(["date", "channel", "state"]).size()
    channels = sorted(rows["channel"].unique())
    lifted, judged = set(), 0
    for day, fs in flags.items():
        for channel in [f.dimension_value for f in fs if f.dimension_name == "channel"]:
            other = next(c for c in channels if c != channel)
            for state in [f.dimension_value for f in fs if f.dimension_name == "region"]:
                judged += 1
                before = [per_day.get((day - dt.timedelta(days=k), other, state), 0) for k in range(1, 29)]
                if per_day.get((day, other, state), 0) <= max(before):
                    lifted.add((day, state))
    agree = len(lifted & set(found))
    print()
    print(f"one surge, one alert across dimensions ({path.name}, {len(rows):,} complaints):")
    precision, recall = agree / max(len(found), 1), agree / max(len(lifted), 1)
    print(
        f"  {sum(len(fs) for fs in flags.values())} flags on {len(flags)} dates, {len(both)} dates with flags"
        f" of two dimensions or more; {judged} (state, flagged channel) pairs judged by the labelling rule"
    )
    print(
        f"  explained by a flag in another dimension: {len(found)}; labelled lifted: {len(lifted)};"
        f" both: {agree} (precision {precision:.2f}, recall {recall:.2f}); {standing_out} of the explained stood"
        " out from their own dimension (is_concentrated)"
    )
    print(f"  alert lines (series alerted on their own): {lines(unexplained)} without the rule, {lines(explained)}"
          f" with it; the explained ones are listed under their cause")  # fmt: skip
    for (day, state), cause in sorted(found.items())[:8]:
        print(f"    {day} {state}: lifted by {cause[0]} {cause[1]}"
              f"{' (labelled so)' if (day, state) in lifted else ' (labelled its own)'}")  # fmt: skip


if __name__ == "__main__":
    harness.run(main)
