"""The benchmarks that run complaints_daily through Airflow, at a tiny size: their own file, so that they run beside
tests/benchmarks/test_benchmarks_run.py rather than after it (pytest-xdist gives each file one worker)."""

from __future__ import annotations

import re

import pytest
from benchmark_scripts import figure, run, run_whole_runs

pytestmark = pytest.mark.benchmark


def test_dag_overhead(tmp_path) -> None:
    """The new day on an empty warehouse, bare, with `airflow dags test` and under a scheduler, dbt as one task
    (cosmos's sensors run under both in tests/e2e/test_complaints_daily.py)."""
    out = run_whole_runs("dag_overhead.py", 0, tmp_path, "--scheduler", "--dbt-tasks", "build")
    assert float(figure(r"DAG / bare, airflow dags test:\s+([\d.]+)", out)) > 0
    assert float(figure(r"DAG / bare, LocalExecutor scheduler:\s+([\d.]+)", out)) > 0
    assert re.findall(r"sum of its (\d+) task instances", out) == ["18", "18"], out
    assert re.search(r"^    dbt_build +[\d.]+ s$", out, re.M), out


def test_daily_at_scale(tmp_path) -> None:
    """The whole DAG under a real scheduler on a tiny day: every task succeeds, each is timed, each process's peak
    is read, and both aims are judged."""
    out = run("daily_at_scale.py", "--per-day", "200", "--history-days", "3", "--dbt-tasks", "build", tmp_path=tmp_path)
    raw = int(figure(r"history 2026-10-11 to 2026-10-13: ([\d,]+) raw rows", out).replace(",", ""))
    assert raw > 3 * 200  # three copies of a day of 200 complaints and their updates
    assert re.search(r"[\d,]+ complaints \(\d+% with clocks still running\)", out), out
    assert "18 task instances" in out
    for task in ("extract_email", "load_crm", "dbt_build", "publish_marts", "check_run"):
        assert re.search(rf"^    {re.escape(task)} +\d+\.\d s$", out, re.M), task
    assert re.search(r"^    extract_phone +\d+ MiB$", out, re.M), out  # a task process, named by its task
    assert re.search(r"^aim, the whole run within 10 minutes: (met|missed)", out, re.M), out
    assert re.search(r"^aim, every process under 2048 MiB: met", out, re.M), out
