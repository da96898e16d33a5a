"""Ingestion speed and memory for one generated day, against DuckDB reading the same files in the same run.

    PYTHONPATH=plugins .venv/bin/python benchmarks/ingest_benchmark.py --per-day 1000000

For each channel the extract stage (parse, Great Expectations, stage as Parquet) runs in its own
process, as an Airflow task would, and reports its seconds and peak memory, with the share spent in
Great Expectations validation shown apart: importing GX, handing it a pandas frame and running the
suite (validation is measured against the load, not counted as parsing). The baseline is DuckDB's
own reader on the same files: read_csv (phone CSV), read_json (web JSON lines, social pages) and
read_blob (email .eml/mbox, which DuckDB cannot parse). Ratio = DuckDB seconds / ingestion seconds:
1.0 would be as fast as DuckDB merely reading the files. Figures vary with the machine's load; compare
ratios from one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from complaints_pipeline import sample_data  # noqa: E402
from complaints_pipeline.reference import CHANNELS  # noqa: E402
from complaints_pipeline.staging import landed_files  # noqa: E402

DAY = dt.date(2026, 10, 14)  # a Wednesday, no holiday: the per-day volume as given

_CHILD = """
import datetime as dt, json, resource, sys, time
from complaints_pipeline import ingest
from complaints_pipeline.config import load_settings
channel, day = sys.argv[1], dt.date.fromisoformat(sys.argv[2])
started = time.perf_counter()
totals = ingest.extract(channel, [day], load_settings())
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, **totals}))
"""


def duckdb_read_seconds(channel: str, files: list[Path]) -> float:
    """DuckDB reading every file of the channel into an Arrow table, all columns as text."""
    paths = [str(p) for p in files]
    con = duckdb.connect()
    started = time.perf_counter()
    for path in paths:
        if channel == "phone":
            relation = con.sql("select * from read_csv(?, all_varchar = true)", params=[path])
        elif channel == "email":
            relation = con.sql("select * from read_blob(?)", params=[path])
        else:
            relation = con.sql("select * from read_json(?, format = 'auto', ignore_errors = true)", params=[path])
        relation.arrow().read_all()
    return time.perf_counter() - started


_LOAD_CHILD = """
import datetime as dt, json, sys, time
from complaints_pipeline import loader
from complaints_pipeline.config import load_settings
from complaints_pipeline.reference import CHANNELS
started = time.perf_counter()
loader.load(list(CHANNELS), [dt.date.fromisoformat(sys.argv[1])], load_settings())
print(json.dumps({"seconds": time.perf_counter() - started}))
"""


def child(code: str, args: list[str], home: Path, landing: Path) -> dict:
    env = {
        **os.environ,
        "COMPLAINTS_HOME": str(home),
        "COMPLAINTS_LANDING_DIR": str(landing),
        "PYTHONPATH": str(REPO / "plugins"),
        "GX_ANALYTICS_ENABLED": "false",
        "TQDM_DISABLE": "1",
    }
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{args} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-day", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None, help="folder to keep the generated day in (reused)")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    landing = work / f"landing-{args.per_day}-{args.seed}"
    if not (landing / "_ground_truth" / f"{DAY}.json").exists():
        print(f"generating {args.per_day:,} complaints for {DAY} into {landing} ...", flush=True)
        started = time.perf_counter()
        sample_data.generate(DAY, DAY, landing, per_day=args.per_day, seed=args.seed, surges=[])
        print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)

    rows = []
    for channel in CHANNELS:
        files = landed_files(landing, channel, DAY)
        size_mb = sum(p.stat().st_size for p in files) / 2**20
        baseline = duckdb_read_seconds(channel, files)
        measured = child(_CHILD, [channel, DAY.isoformat()], work / "home", landing)
        rows.append((channel, size_mb, baseline, measured))
        parse_s = measured["seconds"] - measured["validation_seconds"]
        print(
            f"  {channel:<7} {measured['records_in']:>9,} records {size_mb:6.1f} MB  "
            f"ingest {parse_s:6.1f} s + validation {measured['validation_seconds']:5.1f} s  "
            f"duckdb {baseline:5.2f} s  ratio {baseline / parse_s:.3f}  peak {measured['peak_mb']:5.0f} MB",
            flush=True,
        )

    records = sum(m["records_in"] for _, _, _, m in rows)
    validation_s = sum(m["validation_seconds"] for _, _, _, m in rows)
    ingest_s = sum(m["seconds"] for _, _, _, m in rows) - validation_s
    duck_s = sum(b for _, _, b, _ in rows)
    tabular = [r for r in rows if r[0] != "email"]
    tabular_s = sum(m["seconds"] - m["validation_seconds"] for _, _, _, m in tabular)
    print()
    print(
        f"records ingested          {records:,}: {ingest_s:.1f} s parsing and staging, {validation_s:.1f} s validation"
    )
    print(f"ratio to DuckDB, all      {duck_s / ingest_s:.3f}  (DuckDB {duck_s:.2f} s)")
    print(f"ratio to DuckDB, CSV/JSON {sum(b for _, _, b, _ in tabular) / tabular_s:.3f}  (phone, web, social)")
    print(f"peak memory, one channel  {max(m['peak_mb'] for _, _, _, m in rows):.0f} MB (each channel its own process)")
    contract_s = sum(m["contract_seconds"] for _, _, _, m in rows)
    load_s = child(_LOAD_CHILD, [DAY.isoformat()], work / "home", landing)["seconds"]
    print(
        f"validation                {validation_s:.1f} s = raw contracts {contract_s:.1f} s"
        f" + canonical suite and day gate {validation_s - contract_s:.1f} s"
    )
    print(f"warehouse load            {load_s:.1f} s (the staged day into DuckDB, one writer)")
    print(
        f"validation / load         {validation_s / load_s:.2f} (warehouse load), "
        f"{validation_s / ingest_s:.2f} (parsing and staging)"
    )


if __name__ == "__main__":
    main()
