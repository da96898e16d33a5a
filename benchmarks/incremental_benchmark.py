"""A daily run on top of 730 days of history against the same run on top of 7 days, same daily volume.

    PYTHONPATH=plugins .venv/bin/python benchmarks/incremental_benchmark.py

One week and the new day (Wednesday 2026-10-14) are generated without surges and go through the
pipeline's own extract stage once. Warehouse "7 days" loads the week. Warehouse "730 days" loads the
same week, then copies its raw rows back in whole weeks (ids suffixed, every timestamp shifted, so
weekdays stay) until it holds the 730 days before the new day. Both get a full `dbt build`.

Then, alternately and --repeats times each, the daily run's warehouse part: load the new day (the
single writer) and publish it (`dbt build`, the publication log, the monthly mart), as the DAG's
load and dbt tasks do; each repeat reloads the day, so every build has the day to rebuild.
Printed: median seconds per warehouse and their ratio; the same for dbt's own node timings (models,
tests), which leave out dbt's start-up. Figures vary with the machine's load; compare the ratios of
one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from harness import header, run  # noqa: E402
from scratch import complaints_in_marts, copy_back, scratch_settings  # noqa: E402

from complaints_pipeline import ingest, loader, sample_data, transform, warehouse  # noqa: E402
from complaints_pipeline.config import Settings  # noqa: E402
from complaints_pipeline.reference import CHANNELS  # noqa: E402

NEW_DAY = dt.date(2026, 10, 14)
WEEK = [NEW_DAY - dt.timedelta(days=k) for k in range(7, 0, -1)]


def node_seconds(settings: Settings) -> dict[str, float]:
    """Seconds dbt spent in models and in tests in its last invocation (its start-up left out), and in each node
    (keyed by its unique id)."""
    results = json.loads((settings.home / "dbt" / "target" / "run_results.json").read_text(encoding="utf-8"))
    seconds = {"model": 0.0, "test": 0.0}
    for result in results["results"]:
        kind = result["unique_id"].split(".")[0]
        seconds[result["unique_id"]] = result["execution_time"]
        if kind in ("model", "seed"):
            seconds["model"] += result["execution_time"]
        elif kind in ("test", "unit_test"):
            seconds["test"] += result["execution_time"]
    return seconds


def daily_run(settings: Settings) -> dict[str, float]:
    """Load the new day and publish it, as the DAG's load and dbt tasks do; seconds per part."""
    started = time.perf_counter()
    loader.load(list(CHANNELS), [NEW_DAY], settings)
    loaded = time.perf_counter()
    transform.build(settings)
    nodes = node_seconds(settings)
    warehouse.record_publication([NEW_DAY], settings)
    transform.run_dbt(settings, "run", "--select", "complaint_kpis_monthly")
    monthly = node_seconds(settings)
    nodes = {**nodes, **monthly, "model": nodes["model"] + monthly["model"], "test": nodes["test"] + monthly["test"]}
    done = time.perf_counter()
    return {"load": loaded - started, "publish": done - loaded, "total": done - started, **nodes}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--history-days", type=int, default=730)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))
    logging.basicConfig(level=logging.WARNING)

    shared = scratch_settings(args.work, "incremental-bench-")
    started = time.perf_counter()
    sample_data.generate(WEEK[0], NEW_DAY, shared.landing_dir, per_day=args.per_day, seed=3, surges=[])
    for channel in CHANNELS:
        ingest.extract(channel, [*WEEK, NEW_DAY], shared)
    print(
        f"generated and extracted {WEEK[0]} to {NEW_DAY}, {args.per_day:,} a day: {time.perf_counter() - started:.0f} s"
    )

    warehouses = {}
    for history in (7, args.history_days):
        home = shared.home / f"history-{history}"
        settings = shared.model_copy(update={"home": home, "warehouse_path": home / "complaints.duckdb"})
        loader.load(list(CHANNELS), WEEK, settings)
        rows = copy_back(settings, WEEK, history) if history > 7 else None
        started = time.perf_counter()
        transform.build(settings)
        seconds = time.perf_counter() - started
        complaints = complaints_in_marts(settings)
        print(
            f"{history:>4} days of history: {complaints:,} complaints"
            f"{f' ({rows:,} raw rows)' if rows else ''}; full dbt build {seconds:.1f} s"
        )
        warehouses[history] = settings

    runs: dict[int, list[dict[str, float]]] = {h: [] for h in warehouses}
    for _ in range(args.repeats):
        for history, settings in warehouses.items():
            runs[history].append(daily_run(settings))

    def median(history: int, part: str) -> float:
        return statistics.median(r[part] for r in runs[history])

    small, large = sorted(warehouses)
    print()
    print(f"daily run of {NEW_DAY} (median of {args.repeats}): load + publish, and dbt's node timings")
    for history in (small, large):
        print(
            f"  on {history:>4} days: {median(history, 'total'):6.2f} s = load {median(history, 'load'):5.2f} s"
            f" + publish {median(history, 'publish'):5.2f} s;  models {median(history, 'model'):5.2f} s,"
            f" tests {median(history, 'test'):5.2f} s"
        )
    print(f"ratio {large} / {small} days, whole run:  {median(large, 'total') / median(small, 'total'):.2f}")
    for part in ("load", "model", "test"):
        print(
            f"ratio {large} / {small} days, {part + 's' if part != 'load' else part:<6}:    "
            f"{median(large, part) / median(small, part):.2f}"
        )
    print(f"the nodes that grow the most, median seconds on {small} -> {large} days:")
    print("\n".join(growing_nodes(runs[small], runs[large], top=12)))


def growing_nodes(small: list[dict[str, float]], large: list[dict[str, float]], top: int) -> list[str]:
    """The nodes whose median seconds grow the most from the small history to the large one, as printed lines."""
    nodes = [k for k in large[0] if "." in k and k in small[0]]
    growth = {n: (statistics.median(r[n] for r in small), statistics.median(r[n] for r in large)) for n in nodes}
    ranked = sorted(growth.items(), key=lambda item: item[1][0] - item[1][1])[:top]
    return [f"  {node.split('.', 2)[-1][:70]:<72} {a:5.2f} s -> {b:5.2f} s" for node, (a, b) in ranked]


if __name__ == "__main__":
    run(main)
