"""The whole daily DAG on a day of a million complaints, on top of 30 such days, under a real scheduler.

    PYTHONPATH=plugins .venv/bin/python benchmarks/daily_at_scale.py
    PYTHONPATH=plugins .venv/bin/python benchmarks/daily_at_scale.py --per-day 100000 --history-days 30

The day before the new day (Wednesday 2026-10-14) and the new day are generated at --per-day (no surges; the
CRM's customer export lands with the new day). The day before goes through the pipeline's own stages (extract,
load); its raw rows are then copied back a day at a time in SQL (ids suffixed, timestamps shifted) until
--history-days days precede the new day, each copy with the versions that resolve its complaints as the days pass
(scratch.copy_back: 1 to 7 days after, a backlog of one in 20 never; --plain-copies: none, every copy as open as
the day before), and dbt builds the marts over that history, as a first run would (with
DuckDB allowed --setup-memory-limit), and publishes them. None of this is timed.

Then Airflow's own components run complaints_daily for the new day, as a deployment runs it: the scheduler with the
LocalExecutor (two task processes at a time), the api-server, the dag-processor, SQLite metadata, an SMTP server
on loopback; the run is a backfill of that one date, every task of the DAG (--dbt-tasks: the setting dbt_tasks,
cosmos's sensor per dbt node or one dbt task). While it runs, every process under
this one is sampled for its peak resident memory (VmHWM).

Printed: the run's seconds (from asking for it to its end), each task's seconds from Airflow's metadata, each
process's peak memory (task processes named by their task), and the issue's aims: the whole run within 10
minutes, every process under 2 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import sys
import time
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from harness import ProcessPeaks, header, run, stage  # noqa: E402
from scratch import clocks_running, complaints_in_marts, copy_back, scratch_settings  # noqa: E402

from complaints_pipeline import pipeline, sample_data  # noqa: E402
from complaints_pipeline.config import load_settings  # noqa: E402
from complaints_pipeline.demo import smtp_connection  # noqa: E402
from complaints_pipeline.local_airflow import AirflowServices, airflow_cli  # noqa: E402
from complaints_pipeline.modes import airflow_env  # noqa: E402
from complaints_pipeline.reference import CHANNELS  # noqa: E402
from complaints_pipeline.smtp_sink import SmtpSink  # noqa: E402

NEW_DAY = dt.date(2026, 10, 14)
AIM_SECONDS = 600
AIM_PEAK_MIB = 2048
_TASK_PROCESS = re.compile(r"^airflow worker -- ([0-9a-f-]{36})")


def label(pid: int, peaks: ProcessPeaks, tasks: dict[str, str]) -> str:
    """A process's name in the table: its task for a task process (or a child of one), else its command."""
    process = peaks.processes[pid]
    found = _TASK_PROCESS.match(process.command)
    if found:
        return tasks.get(found.group(1), process.command)
    words = " ".join(Path(w).name if w.startswith("/") else w for w in process.command.split()[:4])
    parent = peaks.processes.get(process.parent)
    if parent and _TASK_PROCESS.match(parent.command):
        return f"{label(process.parent, peaks, tasks)}: {words}"[:60]
    return words[:60] or f"pid {pid}, its command unread"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-day", type=int, default=1_000_000)
    parser.add_argument("--history-days", type=int, default=30, help="days before the new day (at least 1)")
    parser.add_argument("--dbt-tasks", choices=("nodes", "build"), default="nodes", help="the setting dbt_tasks")
    parser.add_argument("--landing", type=Path, default=None, help="landed files of an earlier run: not generated")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--plain-copies", action="store_true", help="the history's copies do not age")
    parser.add_argument(
        "--setup-memory-limit",
        default="12GB",
        help="DuckDB's memory limit while the history is built (not timed); the run keeps the setting's own",
    )
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))
    logging.basicConfig(level=logging.WARNING)
    if args.history_days < 1:
        parser.error("--history-days must be at least 1")

    os.environ["COMPLAINTS_DBT_TASKS"] = args.dbt_tasks
    settings = scratch_settings(args.work, "daily-at-scale-")
    home, zone = settings.home, ZoneInfo(settings.local_tz)
    before = NEW_DAY - dt.timedelta(days=1)
    history = [(NEW_DAY - dt.timedelta(days=k)).isoformat() for k in range(args.history_days, 0, -1)]
    if args.landing:  # the same --per-day's files, generated by an earlier run (a million a day takes 6 minutes)
        os.environ["COMPLAINTS_LANDING_DIR"] = str(args.landing.resolve())
        settings = load_settings()
    else:
        with stage("generate"):
            started = time.perf_counter()
            sample_data.generate(before, NEW_DAY, settings.landing_dir, per_day=args.per_day, seed=7, surges=[])
            print(f"generated {before} and {NEW_DAY}, {args.per_day:,} a day: {time.perf_counter() - started:.0f} s")
    with SmtpSink(home / "mail") as sink:
        env = airflow_env(
            {
                **os.environ,
                "COMPLAINTS_HOME": str(home),
                "AIRFLOW_HOME": str(home / "airflow"),
                "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(sink.port, "pipeline@example.com"),
            }
        )
        os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = env["AIRFLOW_CONN_SMTP_DEFAULT"]
        with stage("history"), mock.patch.dict(os.environ, COMPLAINTS_DUCKDB_MEMORY_LIMIT=args.setup_memory_limit):
            started = time.perf_counter()
            for channel in CHANNELS:
                pipeline.extract_channel(channel, [before.isoformat()])
            pipeline.load_warehouse(list(CHANNELS), [before.isoformat()], run_id="history")
            rows = copy_back(load_settings(), [before], args.history_days, aged=not args.plain_copies)
            copied = time.perf_counter()
            pipeline.build_marts(history, run_id="history")
            pipeline.publish_marts(history, run_id="history")  # the snapshot BI tools read, as of the day before
            pipeline.send_critical_alerts(run_id="history")  # the history's critical complaints: logged, not sent
            complaints, running = complaints_in_marts(settings), clocks_running(settings)
            print(
                f"history {history[0]} to {history[-1]}: {rows:,} raw rows, {complaints:,} complaints"
                f" ({running / complaints:.0%} with clocks still running);"
                f" extract, load and copy {copied - started:.0f} s, dbt build {time.perf_counter() - copied:.0f} s"
            )
        with stage("airflow setup"):
            airflow_cli(env, "db", "migrate")
            airflow_cli(env, "pools", "set", "warehouse", "1", "single DuckDB writer")
        with stage("the DAG run"), AirflowServices(env, home / "services") as airflow:
            airflow.unpause("complaints_daily")
            midnight = dt.datetime.combine(NEW_DAY, dt.time(), zone)
            with ProcessPeaks() as peaks:
                started = time.perf_counter()
                airflow.backfill("complaints_daily", midnight, midnight)
                (dag_run,) = airflow.backfill_runs("complaints_daily", 1, 4 * 3600)
                seconds = time.perf_counter() - started
            instances = airflow.task_instances(dag_run)
        mails = len(sink.messages())
    if dag_run["state"] != "success":
        failed = sorted(t["task_id"] for t in instances if t["state"] != "success")
        raise SystemExit(f"the run ended {dag_run['state']}; not successful: {failed}; logs in {home / 'airflow'}")

    tasks = {t["id"]: t["task_id"] for t in instances}
    sensors = [t for t in instances if t["task_id"].startswith("dbt.") and t["task_id"] != "dbt.dbt_producer_watcher"]
    print(f"\nthe DAG run of {NEW_DAY}, {args.per_day:,} complaints, on {args.history_days} days of history,"
          f" dbt as {args.dbt_tasks}:")  # fmt: skip
    print(
        f"  whole run: {seconds:.0f} s (aim: within {AIM_SECONDS} s); {len(instances)} task instances; {mails} emails"
    )
    print("  task seconds (Airflow's own durations):")
    for t in sorted(instances, key=lambda t: -(t["duration"] or 0)):
        if t not in sensors:
            print(f"    {t['task_id']:<40} {t['duration'] or 0:7.1f} s")
    if sensors:
        longest = max(s["duration"] or 0 for s in sensors)
        total = sum(s["duration"] or 0 for s in sensors)
        print(f"    {f'{len(sensors)} dbt sensors':<40} {total:7.1f} s in all, the longest {longest:.1f} s")
    print("  peak resident memory per process (VmHWM, sampled every 0.5 s):")
    named = sorted(((label(pid, peaks, tasks), p.peak_mib) for pid, p in peaks.processes.items()), key=lambda x: -x[1])
    for name, mib in named[:25]:
        print(f"    {name:<60} {mib:7.0f} MiB")
    if len(named) > 25:
        print(f"    ... {len(named) - 25} more processes, each under {named[25][1]:.0f} MiB")
    print(f"  the most all of them held at once: {peaks.most_at_once_mib:,.0f} MiB")
    largest = named[0]
    over = [n for n, mib in named if mib >= AIM_PEAK_MIB]
    print(f"aim, the whole run within {AIM_SECONDS / 60:.0f} minutes: {'met' if seconds <= AIM_SECONDS else 'missed'}"
          f" ({seconds / AIM_SECONDS:.2f} of it)")  # fmt: skip
    print(f"aim, every process under {AIM_PEAK_MIB} MiB: {'met' if not over else 'missed by ' + ', '.join(over)}"
          f" (largest: {largest[0]}, {largest[1]:.0f} MiB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    run(main)
