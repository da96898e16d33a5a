"""Ingestion speed and memory for one generated day, against DuckDB reading the same files in the same run.

    PYTHONPATH=plugins .venv/bin/python benchmarks/ingest_benchmark.py --per-day 1000000

The pipeline's ingestion is all it does from the landed files to the warehouse's raw tables: each channel's
extract stage (parse, the raw contract and the canonical suite of Great Expectations, the day gate, staged as
Parquet) in its own process, as an Airflow task runs it, then the load (the single writer: versions, the
texts' categories, scores and copy groups). Validation's share is shown apart, but counted. The baseline is
DuckDB's own reader on the same files, one call per channel over all its files: read_csv (phone CSV),
read_json (web JSON lines, social pages) and read_blob (email .eml/mbox, which DuckDB cannot parse).
Ratio = DuckDB seconds / pipeline seconds (aim: 0.3 or more; 1.0 would be as fast as DuckDB merely reading
the files). Peak memory is each process's own (VmHWM). Figures vary with the machine's load; compare the
ratios of one run.
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
from harness import header, run, stage

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from complaints_pipeline import sample_data  # noqa: E402
from complaints_pipeline.reference import CHANNELS  # noqa: E402
from complaints_pipeline.staging import landed_files  # noqa: E402

DAY = dt.date(2026, 10, 14)  # a Wednesday, no holiday: the per-day volume as given

_CHILD = """
import datetime as dt, json, sys, time
from harness import peak_mib
from complaints_pipeline import ingest
from complaints_pipeline.config import load_settings
channel, day = sys.argv[1], dt.date.fromisoformat(sys.argv[2])
started = time.perf_counter()
totals = ingest.extract(channel, [day], load_settings())
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak_mb": peak_mib(), **totals}))
"""


def duckdb_read_seconds(channel: str, files: list[Path]) -> float:
    """DuckDB reading every file of the channel in one call into an Arrow table, all columns as text."""
    paths = [str(p) for p in files]
    con = duckdb.connect()
    started = time.perf_counter()
    if channel == "phone":
        relation = con.sql("select * from read_csv(?, all_varchar = true, union_by_name = true)", params=[paths])
    elif channel == "email":
        relation = con.sql("select * from read_blob(?)", params=[paths])
    else:
        relation = con.sql("select * from read_json(?, format = 'auto', ignore_errors = true)", params=[paths])
    relation.arrow().read_all()
    return time.perf_counter() - started


_LOAD_CHILD = """
import datetime as dt, json, sys, time
from harness import peak_mib
from complaints_pipeline import loader
from complaints_pipeline.config import load_settings
from complaints_pipeline.reference import CHANNELS
started = time.perf_counter()
loader.load(list(CHANNELS), [dt.date.fromisoformat(sys.argv[1])], load_settings())
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_mib()}))
"""


def child(code: str, args: list[str], home: Path, landing: Path) -> dict:
    env = {
        **os.environ,
        "COMPLAINTS_HOME": str(home),
        "COMPLAINTS_LANDING_DIR": str(landing),
        "PYTHONPATH": f"{REPO / 'plugins'}:{REPO / 'benchmarks'}",
        "GX_ANALYTICS_ENABLED": "false",
        "TQDM_DISABLE": "1",
    }
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"exit {result.returncode}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-day", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None, help="folder to keep the generated day in (reused)")
    args = parser.parse_args(argv)
    header(
        f"ingestion of one day ({DAY}) against DuckDB reading its files", per_day=f"{args.per_day:,}", seed=args.seed
    )

    work = args.work or Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    landing = work / f"landing-{args.per_day}-{args.seed}"
    if not (landing / "_ground_truth" / f"{DAY}.json").exists():
        print(f"generating {args.per_day:,} complaints for {DAY} into {landing} ...", flush=True)
        started = time.perf_counter()
        with stage("generate"):
            sample_data.generate(DAY, DAY, landing, per_day=args.per_day, seed=args.seed, surges=[])
        print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)

    rows = []
    for channel in CHANNELS:
        files = landed_files(landing, channel, DAY)
        size_mb = sum(p.stat().st_size for p in files) / 2**20
        with stage(f"DuckDB reading {channel}"):
            baseline = duckdb_read_seconds(channel, files)
        with stage(f"extract {channel}"):
            measured = child(_CHILD, [channel, DAY.isoformat()], work / "home", landing)
        rows.append((channel, size_mb, baseline, measured))
        print(
            f"  {channel:<7} {measured['records_in']:>9,} records {size_mb:6.1f} MB in {len(files):>4} files  "
            f"extract {measured['seconds']:6.1f} s (validation {measured['validation_seconds']:5.1f} s)  "
            f"duckdb {baseline:5.2f} s  ratio {baseline / measured['seconds']:.3f}  "
            f"peak {measured['peak_mb']:5.0f} MiB",
            flush=True,
        )
    with stage("load"):
        load = child(_LOAD_CHILD, [DAY.isoformat()], work / "home", landing)

    records = sum(m["records_in"] for _, _, _, m in rows)
    extract_s = sum(m["seconds"] for _, _, _, m in rows)
    validation_s = sum(m["validation_seconds"] for _, _, _, m in rows)
    contract_s = sum(m["contract_seconds"] for _, _, _, m in rows)
    pipeline_s = extract_s + load["seconds"]
    duck_s = sum(b for _, _, b, _ in rows)
    tabular = [r for r in rows if r[0] != "email"]
    print(
        f"  load:   {records:>9,} records by the single writer  {load['seconds']:6.1f} s  "
        f"peak {load['peak_mb']:5.0f} MiB"
    )
    print()
    print(f"records ingested          {records:,}")
    print(
        f"pipeline                  {pipeline_s:.1f} s = extracts {extract_s:.1f} s (of which validation"
        f" {validation_s:.1f} s: raw contracts {contract_s:.1f} s, canonical suite and day gate"
        f" {validation_s - contract_s:.1f} s) + load {load['seconds']:.1f} s"
    )
    print(f"DuckDB reading the files  {duck_s:.2f} s (one call per channel)")
    print(f"ratio to DuckDB, all      {duck_s / pipeline_s:.3f}  (aim: 0.3 or more; load included)")
    print(
        f"ratio to DuckDB, extracts {duck_s / extract_s:.3f};  CSV/JSON only "
        f"{sum(b for _, _, b, _ in tabular) / sum(m['seconds'] for _, _, _, m in tabular):.3f} (phone, web, social)"
    )
    print(
        f"peak memory               {max(m['peak_mb'] for _, _, _, m in rows):.0f} MiB (largest extract), "
        f"{load['peak_mb']:.0f} MiB (load): each its own process"
    )


if __name__ == "__main__":
    run(main)
