"""What Airflow adds: the DAG's whole run of a day against the same stages run bare, on the same day.

    PYTHONPATH=plugins .venv/bin/python benchmarks/dag_overhead.py

Two weeks and the new day (Wednesday 2026-10-14, 2,000 complaints a day) are generated. A base
installation loads the two weeks (extract, load, dbt build, publish) and migrates its Airflow metadata
database; none of that is timed. Then, alternately and --repeats times each, a fresh copy of the base
runs the new day:

- bare: the pipeline's stages called one after another in one Python process, as the DAG's tasks call
  them: landing dates, the four extracts, the load, Data Docs, `dbt build` (with the publication log and
  the monthly mart), the snapshot for BI tools, the alerts;
- DAG: `airflow dags test complaints_daily` for that day (SQLite metadata, the tasks run one after another in
  the command's process, dbt through astronomer-cosmos);
- scheduler (--scheduler): the same DAG run as a deployment runs it, a backfill of that day on Airflow's own
  components (scheduler with the LocalExecutor, api-server, dag-processor; SQLite metadata), as `make demo`
  does; timed from asking for the run to its end, the components' start left out.

--dbt-tasks picks how the DAG runs dbt (the setting dbt_tasks): `nodes`, cosmos's watcher with a sensor per node,
or `build`, one task. Printed: median seconds of each, the DAG's overhead (DAG / bare), and the DAG's task
durations from its metadata database. The machine is shared: compare the figures of one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from harness import header, run  # noqa: E402
from scratch import scratch_settings  # noqa: E402

from complaints_pipeline import pipeline, sample_data  # noqa: E402
from complaints_pipeline.demo import smtp_connection  # noqa: E402
from complaints_pipeline.local_airflow import AirflowServices  # noqa: E402
from complaints_pipeline.modes import airflow_env  # noqa: E402
from complaints_pipeline.reference import CHANNELS  # noqa: E402
from complaints_pipeline.smtp_sink import SmtpSink  # noqa: E402

NEW_DAY = dt.date(2026, 10, 14)
_DATABASE = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"


def stages(days: list[str], run_id: str) -> dict[str, float]:
    """The DAG's stages without Airflow, in its order; seconds per stage."""
    seconds: dict[str, float] = {}

    def timed(name, function, *args, **kwargs):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
        return result

    for channel in CHANNELS:
        timed("extract", pipeline.extract_channel, channel, days)
    timed("load", pipeline.load_warehouse, list(CHANNELS), days, run_id=run_id)
    timed("data docs", pipeline.build_data_docs)
    timed("dbt build", pipeline.build_marts, days, run_id=run_id)
    timed("publish", pipeline.publish_marts, days, run_id=run_id)
    timed("alerts", pipeline.send_surge_alerts, days, run_id=run_id)
    return seconds


def use(home: Path, env: dict[str, str]) -> dict[str, str]:
    """Point this process and the Airflow commands at one installation."""
    os.environ["COMPLAINTS_HOME"] = str(home)
    os.environ["AIRFLOW_HOME"] = str(home / "airflow")
    # airflow.cfg names the database it was made for: the copies' own must be named explicitly.
    database = f"sqlite:///{home / 'airflow' / 'airflow.db'}"
    return {**env, "COMPLAINTS_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow"), _DATABASE: database}


def airflow(env: dict[str, str], *args: str) -> None:
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0 or "state=failed" in result.stdout + result.stderr:
        raise SystemExit(f"airflow {' '.join(args)} failed:\n{(result.stdout + result.stderr)[-3000:]}")


def task_seconds(home: Path) -> dict[str, float]:
    with sqlite3.connect(home / "airflow" / "airflow.db") as db:
        rows = db.execute(
            "select task_id, (julianday(end_date) - julianday(start_date)) * 86400 from task_instance "
            "where start_date is not null and end_date is not null"
        ).fetchall()
    return dict(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--history-days", type=int, default=14, help="days loaded before the new day (0: none)")
    parser.add_argument("--scheduler", action="store_true", help="also run the DAG under a scheduler (LocalExecutor)")
    parser.add_argument("--dbt-tasks", choices=("nodes", "build"), default="nodes", help="the setting dbt_tasks")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))
    logging.basicConfig(level=logging.WARNING)
    history = [NEW_DAY - dt.timedelta(days=k) for k in range(args.history_days, 0, -1)]

    settings = scratch_settings(args.work, "dag-overhead-")
    root = settings.home
    landing = root / "landing"
    sample_data.generate(history[0] if history else NEW_DAY, NEW_DAY, landing, per_day=args.per_day, seed=5, surges=[])
    base = root / "base"
    with SmtpSink(root / "mail") as sink:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO / "plugins"),
            "COMPLAINTS_LANDING_DIR": str(landing),
            "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(sink.port, "pipeline@example.com"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "COMPLAINTS_DBT_TASKS": args.dbt_tasks,
        }
        os.environ.update({k: v for k, v in env.items() if k.startswith(("COMPLAINTS_", "AIRFLOW_CONN"))})
        base_env = use(base, env)
        started = time.perf_counter()
        if history:
            stages([d.isoformat() for d in history], run_id="history")
        airflow(base_env, "db", "migrate")
        airflow(base_env, "pools", "set", "warehouse", "1", "single DuckDB writer")
        loaded = f"history {history[0]} to {history[-1]}" if history else "no history"
        print(f"{loaded}, {args.per_day:,} a day: {time.perf_counter() - started:.0f} s")

        kinds = ("bare", "dag", "scheduler") if args.scheduler else ("bare", "dag")
        seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
        parts: list[dict[str, float]] = []
        tasks: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds[1:]}
        for n in range(args.repeats):
            for kind in kinds:
                home = root / f"{kind}-{n}"
                shutil.copytree(base, home, symlinks=True)
                run_env = use(home, env)
                started = time.perf_counter()
                if kind == "bare":
                    days = pipeline.resolve_dates(None, None, _midnight(NEW_DAY, settings.local_tz), settings.local_tz)
                    parts.append(stages(days, run_id=f"bare-{n}"))
                elif kind == "dag":
                    airflow(run_env, "dags", "test", "complaints_daily", (NEW_DAY + dt.timedelta(days=1)).isoformat())
                else:
                    with AirflowServices(airflow_env(run_env), home / "services") as services:
                        services.unpause("complaints_daily")
                        midnight = _midnight(NEW_DAY, settings.local_tz)
                        started = time.perf_counter()
                        services.backfill("complaints_daily", midnight, midnight)
                        (dag_run,) = services.backfill_runs("complaints_daily", 1, 1800)
                        seconds[kind].append(time.perf_counter() - started)
                    if dag_run["state"] != "success":
                        raise SystemExit(f"the scheduler's run ended {dag_run['state']}; logs in {home / 'airflow'}")
                if kind != "scheduler":
                    seconds[kind].append(time.perf_counter() - started)
                if kind != "bare":
                    tasks[kind].append(task_seconds(home))
                shutil.rmtree(home)

    print()
    print(f"one day, {NEW_DAY}, median of {args.repeats}; dbt as {args.dbt_tasks}:")
    bare = statistics.median(seconds["bare"])
    print(f"  bare stages:  {bare:6.1f} s")
    for name in parts[0]:
        print(f"    {name:<11} {statistics.median(p[name] for p in parts):6.1f} s")
    how = {"dag": "airflow dags test", "scheduler": "LocalExecutor scheduler"}
    for kind in kinds[1:]:
        runs = tasks[kind]
        print(f"  DAG run ({how[kind]}): {statistics.median(seconds[kind]):6.1f} s, start to end")
        print(
            f"    sum of its {len(runs[0])} task instances: {statistics.median(sum(r.values()) for r in runs):6.1f} s"
        )
        for task in sorted(runs[0], key=lambda t: -statistics.median(r.get(t, 0) for r in runs))[:8]:
            print(f"    {task:<40} {statistics.median(r.get(task, 0.0) for r in runs):6.1f} s")
    for kind in kinds[1:]:
        print(f"  DAG / bare, {how[kind]}: {statistics.median(seconds[kind]) / bare:.2f}")


def _midnight(day: dt.date, tz: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(tz))


if __name__ == "__main__":
    run(main)
