"""A run's outcome, judged once every other task is done: which channel-days it loaded, and what it did not.

A channel's day the gate blocked, an export that was not delivered, a channel whose extract or load failed, or
any other task that failed, makes the run end failed, after the other channels loaded and the marts were
built and published (the DAG's last task, `check_run`). The figures come from the warehouse's reconciliation
(raw.load_reconciliation), so what the run says is what the marts hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from complaints_pipeline.config import Settings
from complaints_pipeline.warehouse import Connection


class RunFailedError(RuntimeError):
    """The run loaded less than it should have: a person must look (the message says where and how)."""


@dataclass
class RunOutcome:
    loaded: list[str] = field(default_factory=list)  # "phone 2026-09-08"
    problems: list[str] = field(default_factory=list)

    def message(self, run_id: str) -> str:
        return (
            "; ".join(self.problems)
            + f"\n(run {run_id}: {len(self.problems)} problem(s), {len(self.loaded)} channel-days loaded)"
            + "\nWhy and what to do: complaints status DATE; a quarantined file is fixed and replayed with"
            " complaints quarantine replay; a late export is landed with complaints land, then complaints run DATE."
        )


def judge(
    settings: Settings,
    channels: list[str],
    days: list[dt.date],
    run_id: str,
    task_states: dict[str, str] | None = None,
) -> RunOutcome:
    """What run_id did to each (channel, day), and the tasks of it that failed (task_states: task id -> state)."""
    outcome = RunOutcome()
    with Connection(settings, read_only=True) as con:
        rows = con.execute(
            "select channel, partition_date, run_id, gate, gate_messages, loaded, quarantined "
            "from raw.load_reconciliation where partition_date between ? and ?",
            [min(days), max(days)],
        ).fetchall()
    recorded = {(row[0], row[1]): row[2:] for row in rows}
    failed_tasks = {task for task, state in (task_states or {}).items() if state in ("failed", "upstream_failed")}
    for channel in channels:
        for day in days:
            where = f"{channel} {day}"
            run, gate, messages, _loaded, quarantined = recorded.get((channel, day), (None, None, None, 0, 0))
            if run != run_id:
                tasks = [t for t in (f"extract_{channel}", f"load_{channel}") if t in failed_tasks]
                why = f"{' and '.join(tasks)} failed" if tasks else "its files were not staged"
                outcome.problems.append(f"{where}: not loaded by this run ({why}; the date keeps what it had)")
            elif gate == "blocked":
                outcome.problems.append(f"{where}: blocked by the quality gate, {quarantined} quarantined: {messages}")
            elif gate == "not_delivered":
                outcome.problems.append(f"{where}: {messages}")
            else:
                outcome.loaded.append(where)
    channel_tasks = {f"{kind}_{c}" for kind in ("extract", "load") for c in channels}
    for task in sorted(failed_tasks - channel_tasks):
        outcome.problems.append(f"task {task} failed (its log says why)")
    return outcome
