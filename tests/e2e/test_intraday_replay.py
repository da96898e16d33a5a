"""complaints_intraday under a real scheduler: a day's landed files replayed in time order (LocalExecutor, SQLite
metadata), then complaints_daily for the day, by benchmarks/intraday_replay.py at a small size (its tiny run).

Three weeks of history at 2,000 complaints a day; on the day, web forms come in at five times their rate from 09:00,
and a web form naming a fire is submitted at 09:03. The replay runs the intraday DAG for the intervals ending 09:00
to 09:30 and one after midnight, then the daily run; the script checks (--check) and prints what is asserted here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from helpers import REPO_ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> str:
    home = tmp_path_factory.mktemp("replay")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT / "plugins"),
        "COMPLAINTS_HOME": str(home),
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
    }
    args = ["--home", str(home), "--history-days", "21", "--per-day", "2000", "--day", "2026-11-18"]
    args += ["--first", "08:50", "--last", "09:20", "--surge", "channel:web:5.0@09:00", "--critical-at", "09:03"]
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "intraday_replay.py"), *args, "--check"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, f"the replay failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def test_the_replay_runs_each_interval_under_the_scheduler_and_skips_when_nothing_landed(replay: str) -> None:
    assert "5 intraday runs (08:50 to 2026-11-19 00:00)" in replay
    assert "runs with no new file: 1," in replay  # the one after midnight: the short circuit
    assert "runs with new files: 4," in replay
    assert "daily run of 2026-11-18: success" in replay
    assert "FAILED" not in replay


def test_the_surge_is_alerted_within_the_bound_once_per_level_and_not_again_by_the_daily_run(replay: str) -> None:
    delay = float(re.search(r"= ([\d.]+) min \(aim: within 30\)", replay).group(1))
    assert delay <= 30
    first = re.search(r"first alert: '(.*)'", replay).group(1)
    assert re.fullmatch(r"\[complaints\] (Warning|Critical) surge on 2026-11-18 by 09:[0-3]0: .*", first)
    naming = re.search(r"emails naming it: (\d+) \(([\w, ]+)\): (\d+) intraday, (\d+) daily", replay)
    levels = naming.group(2).split(", ")
    assert len(levels) == len(set(levels)) == int(naming.group(1))  # each level once (a warning, then critical)
    assert int(naming.group(3)) >= 1 and int(naming.group(4)) == 0  # the daily run does not repeat it


def test_the_critical_complaint_is_emailed_once_by_the_run_that_loads_it(replay: str) -> None:
    assert re.search(r"critical complaint WB-S202611189999999: landed 09:0\d; emailed once, by the run ending", replay)
    assert re.search(r"09:10 \(which loaded it\): yes", replay)
