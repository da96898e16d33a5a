"""complaints-dbt: dbt that dies with the task that started it, even in a session of its own (cosmos's setsid)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from complaints_pipeline.transform import dbt_executable

# A task's process: starts a child in its own session, as cosmos does for dbt, reports its pid, then waits.
TASK = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], start_new_session=True)
print(child.pid, flush=True)
child.wait()
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie waiting for a reaper has ended


def _orphan(child_code: str) -> int:
    """Start a task process whose child runs child_code, SIGKILL the task, return the child's pid."""
    task = subprocess.Popen([sys.executable, "-c", TASK, child_code], stdout=subprocess.PIPE, text=True)
    pid = int(task.stdout.readline())
    time.sleep(1.0)  # the child is running its program
    assert _alive(pid)
    task.send_signal(signal.SIGKILL)
    task.wait()
    return pid


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_guarded_program_ends_when_its_task_is_killed_and_an_unguarded_one_does_not() -> None:
    guarded = _orphan("from complaints_pipeline.dbt_guard import exec_guarded; exec_guarded(['/bin/sleep', '30'])")
    unguarded = _orphan("import os; os.execv('/bin/sleep', ['/bin/sleep', '30'])")
    deadline = time.monotonic() + 5
    while _alive(guarded) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not _alive(guarded)
        assert _alive(unguarded)  # what cosmos's dbt did before: the test can tell the difference
    finally:
        if _alive(unguarded):
            os.kill(unguarded, signal.SIGKILL)


def test_the_pipeline_runs_dbt_through_the_guard_and_it_is_dbt() -> None:
    assert dbt_executable().name == "complaints-dbt"  # make setup installs the project's commands
    done = subprocess.run([str(dbt_executable()), "--help"], capture_output=True, text=True, check=True)
    assert "dbt build" in done.stdout or "build" in done.stdout.split()
