"""The on-call notice: a task of the pipeline failed for good, or a run ended with channels not loaded.

Three paths, so a notice reaches a person even when one of them is down (the alert relay, most often):
1. always, a line in the task's log starting ``ON-CALL:``, and a row in the operations table
   ``oncall_notices`` (SQLite, ``$COMPLAINTS_HOME/ops/oncall.sqlite``: it takes a write while the DuckDB
   warehouse is held by another task), which ``complaints status`` shows;
2. an email to the on-call address (variable ``complaints_oncall_recipients``, default
   ``COMPLAINTS_ONCALL_TO``) through Airflow's SMTP connection, the alert relay;
3. any Airflow notifier (``COMPLAINTS_ONCALL_NOTIFIER``, the dotted path of a ``BaseNotifier`` class, with
   keyword arguments as JSON in ``COMPLAINTS_ONCALL_NOTIFIER_ARGS``): Slack, Teams, PagerDuty, Opsgenie...
   from their provider packages, once installed.

Each path's outcome is in the row; a path that fails is logged, never raised (the task has failed already).
"""

from __future__ import annotations

import datetime as dt
import html
import importlib
import logging
import sqlite3
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from complaints_pipeline.config import Settings, load_settings

log = logging.getLogger(__name__)

NOTICES_DDL = """
create table if not exists oncall_notices (
    noticed_at text not null,  -- UTC, ISO 8601
    dag_id text not null,
    task_id text not null,
    run_id text,
    try_number integer,
    subject text not null,
    error text,
    email text not null,  -- sent | failed: <why>
    notifier text not null  -- none | sent | failed: <why>
)
"""


def ops_database(settings: Settings) -> Path:
    return settings.home / "ops" / "oncall.sqlite"


def _connect(settings: Settings) -> sqlite3.Connection:
    path = ops_database(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    con.execute(NOTICES_DDL)
    return con


def recent_notices(settings: Settings, limit: int = 10) -> list[dict]:
    if not ops_database(settings).exists():
        return []
    with _connect(settings) as con:
        con.row_factory = sqlite3.Row
        rows = con.execute("select * from oncall_notices order by noticed_at desc limit ?", [limit]).fetchall()
    return [dict(row) for row in rows]


def _email(settings: Settings, subject: str, lines: list[str]) -> str:
    from complaints_pipeline.alerts import at_run_time, smtp_hook

    message = EmailMessage()
    message["Subject"] = subject
    message["To"] = ", ".join(at_run_time(settings, "oncall_recipients"))
    message["Date"] = formatdate(localtime=False)
    message.set_content("\n".join(lines) + "\n")
    message.add_alternative(
        f"<html><body><pre>{html.escape(chr(10).join(lines))}</pre></body></html>\n", subtype="html"
    )
    try:
        hook, message["From"] = smtp_hook(settings)
        with hook:
            hook.get_conn()._smtp_client.send_message(message)
    except Exception as error:  # noqa: BLE001 - the other paths still tell someone
        log.warning("ON-CALL: the email to the on-call address failed: %s: %s", type(error).__name__, error)
        return f"failed: {type(error).__name__}: {error}"[:500]
    return "sent"


def notifier_from_settings(settings: Settings | None = None):
    """The configured Airflow notifier (an instance), or None. A wrong path or arguments fail in one line."""
    settings = settings or load_settings()
    path = settings.oncall_notifier.strip()
    if not path:
        return None
    module_name, _, class_name = path.replace(":", ".").rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
        return cls(**settings.oncall_notifier_args)
    except (ImportError, AttributeError, ValueError, TypeError) as wrong:
        raise ValueError(
            f"COMPLAINTS_ONCALL_NOTIFIER={path!r}: expected the dotted path of an Airflow notifier class, with its"
            f" arguments as a JSON object in COMPLAINTS_ONCALL_NOTIFIER_ARGS ({type(wrong).__name__}: {wrong})"
        ) from None


def _notify_other_path(settings: Settings, context) -> str:
    try:
        notifier = notifier_from_settings(settings)
        if notifier is None:
            return "none"
        notifier(context)
    except Exception as error:  # noqa: BLE001
        log.warning("ON-CALL: the notifier failed: %s: %s", type(error).__name__, error)
        return f"failed: {type(error).__name__}: {error}"[:500]
    return "sent"


def task_failed(context) -> None:
    """on_failure_callback: tell the on-call person which task failed, for which run, and why (all three paths).

    Runs once a task has failed for good (after its retries)."""
    ti = context["ti"]
    error = context.get("exception")
    from complaints_pipeline.ingest import BatchBlockedError

    if isinstance(getattr(error, "__cause__", None), BatchBlockedError):
        log.error("ON-CALL: %s.%s: %s (told once for the run, by check_run)", ti.dag_id, ti.task_id, error)
        return
    settings = load_settings()
    subject = f"[complaints] Task failed: {ti.dag_id}.{ti.task_id} ({ti.run_id}, try {ti.try_number})"
    problem = f"{type(error).__name__}: {error}" if error else "(none recorded; see the task log)"
    lines = [
        f"DAG: {ti.dag_id}",
        f"Task: {ti.task_id}",
        f"Run: {ti.run_id}",
        f"Try: {ti.try_number}",
        f"Params: {dict(context.get('params') or {})}",
        "",
        "Error:",
        problem,
        "",
        "What ran and why a channel was not loaded: complaints status. Rerun a date once fixed:"
        " complaints run DATE (or clear the failed task in the Airflow UI).",
    ]
    log.error("ON-CALL: %s: %s", subject, problem.splitlines()[0] if problem else "")
    email = _email(settings, subject, lines)
    other = _notify_other_path(settings, context)
    try:
        with _connect(settings) as con:
            con.execute(
                "insert into oncall_notices values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    ti.dag_id,
                    ti.task_id,
                    ti.run_id,
                    ti.try_number,
                    subject,
                    problem[:4000],
                    email,
                    other,
                ],
            )
    except sqlite3.Error as failed:
        log.error("ON-CALL: could not record the notice in %s: %s", ops_database(settings), failed)
    log.info("ON-CALL: notice recorded (email %s, notifier %s)", email, other)
