"""Running a script of benchmarks/ as a user runs it (its own process, from the repository), for the tests of
tests/benchmarks/: each run must exit as expected and, like every benchmark, first print what it ran on."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from helpers import REPO_ROOT


def run(script: str, *args: str, tmp_path, env: dict | None = None, exit_code: int = 0) -> str:
    """Run a script; it must exit with exit_code and, like every benchmark, first print what it ran on."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT / "plugins"),
        "COMPLAINTS_HOME": str(tmp_path / "home"),
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
        # A few dozen complaints a day: the generator's few bad records are a large share, not a bad day.
        "COMPLAINTS_MAX_QUARANTINED_SHARE": "1",
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / script), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == exit_code, (
        f"{script}: exit {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    )
    head = result.stdout[:2000]
    assert re.search(r"^machine:  \d+ cores, [\d.]+ GiB memory", head, re.M), head
    assert re.search(r"^versions: python 3\.11\.\d+, .*duckdb \d", head, re.M), head
    assert re.search(r"^measured: \d{4}-\d\d-\d\d \d\d:\d\d UTC at commit [0-9a-f]{7}", head, re.M), head
    return result.stdout


def figure(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in:\n{text}"
    return found.group(1)


def run_whole_runs(script: str, history_days: int, tmp_path, *more: str) -> str:
    """A script that times whole runs over days of history: 40 complaints a day, once, in a scratch folder."""
    return run(
        script, "--per-day", "40", "--history-days", str(history_days), "--repeats", "1",
        "--work", str(tmp_path / "work"), *more, tmp_path=tmp_path,
    )  # fmt: skip
