"""The on-call notice's three paths: the task log and the operations table always, the relay's email, a notifier.

Against a real SMTP server on loopback, a closed port for a relay that is down, and a real Airflow notifier
class (below) configured as a user would, by its dotted path.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from airflow.sdk import BaseNotifier

from complaints_pipeline import oncall
from complaints_pipeline.config import load_settings
from complaints_pipeline.demo import smtp_connection
from complaints_pipeline.smtp_sink import SmtpSink, free_port

TI = SimpleNamespace(dag_id="complaints_daily", task_id="load_phone", run_id="scheduled__x", try_number=3)


class FileNotifier(BaseNotifier):
    """An Airflow notifier that appends what it is told to a file (a chat or pager provider's stand-in)."""

    template_fields = ("path",)

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def notify(self, context) -> None:
        ti = context["ti"]
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(f"{ti.dag_id}.{ti.task_id} {context['exception']}\n")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    monkeypatch.setenv("COMPLAINTS_ONCALL_TO", "oncall@example.com")
    return tmp_path


def test_a_failed_task_is_told_by_email_in_the_log_and_in_the_operations_table(home, caplog) -> None:
    with SmtpSink(home / "mail") as sink:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(sink.port, "pipeline@example.com"))
            with caplog.at_level(logging.INFO, logger="complaints_pipeline.oncall"):
                oncall.task_failed({"ti": TI, "exception": RuntimeError("phone 2026-09-08: <counts> do not add up")})
        (path,) = sink.messages()
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "oncall@example.com"
    assert mail["Subject"].strip() == "[complaints] Task failed: complaints_daily.load_phone (scheduled__x, try 3)"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    page = mail.get_body(preferencelist=("html",)).get_content()
    assert "RuntimeError: phone 2026-09-08: <counts> do not add up" in text and "&lt;counts&gt;" in page
    assert "complaints status" in text
    assert any(r.message.startswith("ON-CALL: [complaints] Task failed") for r in caplog.records)
    (notice,) = oncall.recent_notices(load_settings())
    assert (notice["task_id"], notice["try_number"], notice["email"], notice["notifier"]) == (
        "load_phone",
        3,
        "sent",
        "none",
    )


def test_with_the_relay_down_the_notifier_and_the_table_still_tell(home, monkeypatch, caplog) -> None:
    told = home / "pager.txt"
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port(), "pipeline@example.com"))
    conn = json.loads(smtp_connection(free_port(), "p@example.com"))
    conn["extra"] |= {"timeout": 2, "retry_limit": 0}  # a relay that is down: refused at once
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("COMPLAINTS_ONCALL_NOTIFIER", f"{__name__}.FileNotifier")
    monkeypatch.setenv("COMPLAINTS_ONCALL_NOTIFIER_ARGS", json.dumps({"path": str(told)}))
    with caplog.at_level(logging.INFO, logger="complaints_pipeline.oncall"):
        oncall.task_failed({"ti": TI, "exception": RuntimeError("the warehouse is held")})
    assert told.read_text(encoding="utf-8") == "complaints_daily.load_phone the warehouse is held\n"
    (notice,) = oncall.recent_notices(load_settings())
    assert notice["email"].startswith("failed: ") and notice["notifier"] == "sent"
    assert any("ON-CALL: the email to the on-call address failed" in r.message for r in caplog.records)


def test_a_wrong_notifier_is_one_line_naming_the_setting(monkeypatch) -> None:
    monkeypatch.setenv("COMPLAINTS_ONCALL_NOTIFIER", "no.such.Notifier")
    with pytest.raises(ValueError, match=r"^COMPLAINTS_ONCALL_NOTIFIER='no.such.Notifier': expected the dotted path"):
        oncall.notifier_from_settings()
