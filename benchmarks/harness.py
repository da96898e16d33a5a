"""What every benchmark prints and how it fails: its inputs with the machine, the versions and the commit first;
any stage's failure as one line on stdout (`FAILED: <stage>: <why>`) and a non-zero exit, so a figure is never
printed for a run that did not happen whole.

    from harness import header, peak_mib, run, stage

    def main(argv=None):
        args = parser.parse_args(argv)
        header("ingestion of one day", per_day=args.per_day)
        with stage("generate"):
            ...

    if __name__ == "__main__":
        run(main)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Generator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (
    "apache-airflow",
    "astronomer-cosmos",
    "dbt-core",
    "dbt-duckdb",
    "duckdb",
    "great-expectations",
    "pandas",
    "pyarrow",
)


class StageFailedError(Exception):
    """A stage of a benchmark failed: its name and why, as printed."""


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def commit() -> str:
    """The checkout's commit, with `+changes` when files differ from it (the figures are not that commit's)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def versions() -> str:
    found = []
    for name in PACKAGES:
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name} {version(name)}")
    return ", ".join([f"python {platform.python_version()}", *found])


def header(title: str, **inputs: object) -> None:
    """The run's first lines: what it measures, its inputs, the machine, the versions, the date and commit."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"# {title}")
    if inputs:
        print("inputs:   " + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in inputs.items()))
    print(f"machine:  {cores} cores, {_memory_gib():.1f} GiB memory, {platform.platform()}")
    print(f"versions: {versions()}")
    print(f"measured: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC at commit {commit()}")
    print(flush=True)


@contextlib.contextmanager
def stage(name: str) -> Generator[None]:
    """A named stage: an exception in it is reported as that stage's failure (run() prints it and exits 1)."""
    try:
        yield
    except StageFailedError:
        raise
    except BaseException as error:  # SystemExit and KeyboardInterrupt too: the stage did not finish
        if isinstance(error, SystemExit) and error.code in (0, None):
            raise
        detail = str(error.code if isinstance(error, SystemExit) else error) or type(error).__name__
        traceback.print_exc(file=sys.stderr)
        raise StageFailedError(f"{name}: {detail}") from error


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: its own, unlike ru_maxrss, which a child started by
    fork and exec inherits from its parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class ProcessPeaks:
    """While open, a thread samples every process descended from this one each `every` seconds: its command line,
    its parent and its peak resident memory (VmHWM, the kernel's own high-water mark, so a peak between two
    samples still counts; a process that lives less than one interval may be missed), and the most resident
    memory all of them held at one sample.

        with ProcessPeaks() as peaks:
            subprocess.run(...)
        for pid, process in peaks.processes.items(): ...  # Process(command, parent, peak_mib)
    """

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.processes: dict[int, Process] = {}
        self.most_at_once_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="process-peaks", daemon=True)

    def __enter__(self) -> ProcessPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    # The command may hold spaces and brackets: the fields after its closing bracket are fixed.
                    parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        me, held = os.getpid(), 0.0
        for pid, parent in parents.items():
            ancestor = parent
            while ancestor not in (me, 0, 1) and ancestor in parents:
                ancestor = parents[ancestor]
            if ancestor != me:
                continue
            with contextlib.suppress(OSError):
                status = dict(
                    line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
                )
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                peak = int(status.get("VmHWM", "0 kB").split()[0]) / 1024
                held += int(status.get("VmRSS", "0 kB").split()[0]) / 1024
                known = self.processes.get(pid)
                # The newest command line: a forked task process names itself (setproctitle) after it starts; an
                # ended one (a zombie until its parent reaps it) has none left.
                command = command.strip() or (known.command if known else "")
                self.processes[pid] = Process(command, parent, max(peak, known.peak_mib if known else 0))
        self.most_at_once_mib = max(self.most_at_once_mib, held)


class Process(NamedTuple):
    command: str
    parent: int
    peak_mib: float


def run(main: Callable[[], object]) -> None:
    """Run a benchmark's main: any failure is one line on stdout, `FAILED: ...`, and exit status 1."""
    try:
        outcome = main()
    except StageFailedError as failed:
        print(f"\nFAILED: {failed}", flush=True)
        sys.exit(1)
    except BaseException as error:
        if isinstance(error, SystemExit) and error.code in (0, None):
            raise
        if not isinstance(error, SystemExit) or not isinstance(error.code, int):  # an int: it said why (argparse)
            traceback.print_exc(file=sys.stderr)
        if isinstance(error, SystemExit):
            detail = f"exit status {error.code}" if isinstance(error.code, int) else error.code
        else:
            detail = f"{type(error).__name__}: {error}"
        print(f"\nFAILED: {detail}", flush=True)
        sys.exit(1)
    sys.exit(outcome if isinstance(outcome, int) else 0)
