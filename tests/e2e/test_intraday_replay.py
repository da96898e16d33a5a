"""Within the day, under a real scheduler: benchmarks/intraday_replay.py at a small size (its tiny run).

Three weeks of history (600 complaints a day) are loaded by the pipeline's stages; then Wednesday 2026-09-09 is
replayed into complaints_intraday under Airflow's scheduler (LocalExecutor, SQLite metadata), then
complaints_daily runs for the day on the same scheduler, dbt through cosmos's sensors (the default). Web forms
come in at eight times their rate from 09:00, and a web form naming a fire is submitted at 09:03. The intraday
runs end 09:00 to 09:30, and one after midnight. The script checks (--check) and prints what is asserted here.

Its own file, so that it runs beside tests/e2e/test_complaints_daily.py rather than after it (pytest-xdist
gives each file one worker).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from helpers import REPO_ROOT

pytestmark = pytest.mark.e2e

REPLAY_DAY = dt.date(2026, 9, 9)  # a Wednesday: three Wednesdays of history to learn its hours from


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.mktemp("replay")
    args = ["--home", str(home), "--history-days", "21", "--per-day", "600", "--day", REPLAY_DAY.isoformat()]
    args += ["--first", "08:50", "--last", "09:20", "--surge", "channel:web:8.0@09:00", "--critical-at", "09:03"]
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "intraday_replay.py"), *args, "--check"],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins"), "COMPLAINTS_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, f"the replay failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def test_the_intraday_replay_runs_each_interval_and_skips_when_nothing_landed(replay: str) -> None:
    assert f"5 intraday runs (08:50 to {REPLAY_DAY + dt.timedelta(days=1)} 00:00)" in replay
    assert "runs with no new file: 1," in replay  # the one after midnight: the short circuit
    assert "runs with new files: 4," in replay
    assert f"daily run of {REPLAY_DAY}: success" in replay
    assert "FAILED" not in replay


def test_the_intraday_surge_is_alerted_within_the_bound_once_per_level_and_not_again_daily(replay: str) -> None:
    delay = float(re.search(r"= ([\d.]+) min \(aim: within 30\)", replay).group(1))
    assert delay <= 30
    first = re.search(r"first alert: '(.*)'", replay).group(1)
    assert re.fullmatch(rf"\[complaints\] (Warning|Critical) surge on {REPLAY_DAY} by 09:[0-3]0: .*", first)
    naming = re.search(r"emails naming it: (\d+) \(([\w, ]+)\): (\d+) intraday, (\d+) daily", replay)
    levels = naming.group(2).split(", ")
    assert len(levels) == len(set(levels)) == int(naming.group(1))  # each level once (a warning, then critical)
    assert int(naming.group(3)) >= 1 and int(naming.group(4)) == 0  # the daily run does not repeat it


def test_a_critical_complaint_is_emailed_once_by_the_intraday_run_that_loads_it(replay: str) -> None:
    reference = f"WB-S{REPLAY_DAY:%Y%m%d}9999999"
    assert re.search(rf"critical complaint {reference}: landed 09:0\d; emailed once, by the run ending", replay)
    assert re.search(r"09:10 \(which loaded it\): yes", replay)
