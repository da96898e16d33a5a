"""`complaints-dbt`: dbt that dies with the task that started it.

cosmos (and `transform.py`) start dbt in a session of its own, so a kill of the task's process (SIGKILL, or a
SIGTERM to `airflow dags test`, which runs the tasks in its own process) used to leave `dbt build` running,
holding the DuckDB warehouse until it ended, and the rerun's loads failed on the lock. This asks Linux to send
dbt SIGTERM when the process that started it dies (prctl PR_SET_PDEATHSIG, kept across exec), then becomes
dbt: same process id, arguments, environment and exit code.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def exec_guarded(argv: list[str]) -> None:
    """Become argv[0] (exec), to be sent SIGTERM when the parent dies. Does not return."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the request: nobody waits for this dbt
            raise SystemExit(128 + signal.SIGTERM)
    os.execv(argv[0], argv)


def main() -> None:
    exec_guarded([str(Path(sys.executable).with_name("dbt")), *sys.argv[1:]])


if __name__ == "__main__":
    main()
