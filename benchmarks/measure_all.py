"""Every figure the README and docs/measurements.md quote, regenerated in one go.

    PYTHONPATH=plugins .venv/bin/python benchmarks/measure_all.py              # all, a few hours on 2 cores
    PYTHONPATH=plugins .venv/bin/python benchmarks/measure_all.py --only ingest incremental

Each benchmark runs at the size the docs give, one after another (side by side on this 2-core machine they
would measure each other), and its whole output is kept in docs/measurements/<name>.txt, whose first lines give
the machine, the versions, and the date and commit it was measured at: the docs quote those files. A benchmark
that fails leaves its output up to the failure there; the run goes on with the others and exits 1 naming it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from harness import header, run  # noqa: E402

SERIES = "tests/fixtures/real/series"
# name -> the script and its arguments, as docs/measurements.md and the README describe each run.
MEASUREMENTS: dict[str, list[str]] = {
    "ingest": ["ingest_benchmark.py", "--per-day", "1000000"],
    "incremental": ["incremental_benchmark.py", "--per-day", "500", "--history-days", "730"],
    "dag_overhead": ["dag_overhead.py", "--per-day", "2000", "--history-days", "14", "--scheduler"],
    "dag_overhead_build": [
        "dag_overhead.py",
        "--per-day",
        "2000",
        "--history-days",
        "14",
        "--scheduler",
        "--dbt-tasks",
        "build",
    ],  # fmt: skip
    "daily_at_scale_1m": ["daily_at_scale.py", "--per-day", "1000000", "--history-days", "1"],
    "daily_at_scale_100k_30": ["daily_at_scale.py", "--per-day", "100000", "--history-days", "30"],
    # Its defaults: a million a day on 30 such days, an hour and a half of setup (docs/measurements.md).
    "daily_at_scale_1m_30": ["daily_at_scale.py", "--per-day", "1000000", "--history-days", "30"],
    "surge_generated": ["surge_evaluation.py", "--start", "2025-01-01", "--end", "2026-12-31", "--seed", "42"],
    "surge_comcast": ["surge_evaluation.py", "--series", f"{SERIES}/comcast_fcc_2015.csv", "--country", "US"],
    "surge_cfpb": ["surge_evaluation.py", "--series", f"{SERIES}/cfpb_total_2011_2017.csv", "--country", "US"],
    "intraday_surge": [
        "intraday_replay.py",
        "--surge",
        "channel:web:3.0@10:00",
        "--first",
        "07:00",
        "--last",
        "12:50",
        "--check",
    ],
    "intraday_whole_day": ["intraday_replay.py", "--surge", "none", "--check"],
    "categorisation": ["categorisation_evaluation.py"],
    "critical": ["critical_evaluation.py"],
    "sentiment": ["sentiment_evaluation.py"],
    "copies": ["copies_evaluation.py"],
    "customer_value": ["customer_value_evaluation.py"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(MEASUREMENTS), help="these measurements only")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "measurements", help="where the outputs go")
    parser.add_argument("--extra", default="", help="more arguments for every script, e.g. --extra='--limit 50'")
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))
    args.out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugins")}
    failed = []
    for name in args.only or list(MEASUREMENTS):
        script, *script_args = MEASUREMENTS[name]
        script_args += shlex.split(args.extra)
        command = [sys.executable, str(REPO / "benchmarks" / script), *script_args]
        target = args.out / f"{name}.txt"
        started = time.perf_counter()
        print(f"{name:<20} {' '.join([f'benchmarks/{script}', *script_args])}", flush=True)
        with target.open("w", encoding="utf-8") as output:
            result = subprocess.run(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            failed.append(name)
            said = [line for line in target.read_text(encoding="utf-8").splitlines() if line.startswith("FAILED")]
            errors = result.stderr.strip().splitlines()[-1:]
            print(f"{'':<20} {(said or ['FAILED'])[-1]} after {seconds:.0f} s; stderr: {errors}", flush=True)
        else:
            print(f"{'':<20} {seconds:.0f} s -> {target.relative_to(REPO) if target.is_relative_to(REPO) else target}")
    if failed:
        print(f"\nFAILED: {', '.join(failed)} (their outputs show where)")
        return 1
    print(f"\nall {len(args.only or MEASUREMENTS)} measured; docs/measurements.md quotes {args.out.name}/")
    return 0


if __name__ == "__main__":
    run(main)
