"""The fast lane against a real warehouse (DuckDB file and PostgreSQL) and a real SMTP server on loopback: each
critical complaint emailed once, on its own; a backfill's logged, not emailed. The mart is written by hand here."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from types import SimpleNamespace

import pytest
from helpers import chromium, query, shown_text

from complaints_pipeline import critical
from complaints_pipeline.alerts import AlertSendError
from complaints_pipeline.demo import smtp_connection
from complaints_pipeline.report.data import Labels
from complaints_pipeline.smtp_sink import SmtpSink
from complaints_pipeline.warehouse import Connection

NOW = dt.datetime(2026, 9, 9, 3, 0, tzinfo=dt.UTC)  # 11:00 in Asia/Shanghai
MART = """create table marts.critical_complaints (
    complaint_id varchar, complaint_date date, received_at timestamp, channel varchar, complaint_category varchar,
    product varchar, region varchar, severity integer, language_code varchar, critical_rule varchar,
    matched_keyword varchar, model_probability double precision, rule_count integer, critical_rules varchar,
    loaded_at timestamp
)"""
ROWS = [
    # 10:42 local: a charger on fire that burned a hand (two rules)
    ("SO-1", dt.date(2026, 9, 9), dt.datetime(2026, 9, 9, 2, 42), "social", "product_quality", "smartphone", "wuhan",
     None, "en", "injury", "burned my", None, 2, "injury, fire"),
    # 09:15 local, severity 5 from the call centre
    ("PH-7", dt.date(2026, 9, 9), dt.datetime(2026, 9, 9, 1, 15), "phone", "billing_dispute", "mobile_plan", "beijing",
     5, "zh", "severity", None, None, 1, "severity"),
    # two days before: a backfill's, logged only
    ("WB-3", dt.date(2026, 9, 7), dt.datetime(2026, 9, 7, 2, 0), "web", "service_attitude", "router", "xian", 3, "en",
     "legal", "lawyer", 0.9, 1, "legal"),
]  # fmt: skip


@pytest.fixture
def env(warehouse_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_COMPLAINTS_CRITICAL_RECIPIENTS", "duty-manager@example.com")
    with Connection(warehouse_settings) as con:
        con.execute("create schema if not exists marts")
        con.execute(MART)
        con.executemany(
            "insert into marts.critical_complaints values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())", ROWS
        )
    with SmtpSink(tmp_path / "mail") as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(sink.port, "pipeline@example.com"))
        yield SimpleNamespace(settings=warehouse_settings, sink=sink)


def mails(sink: SmtpSink) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sink.messages()]


def log(settings) -> list[tuple]:
    return query(settings, "select complaint_id, status, alerted_by from ops.critical_alert_log order by 1")


def test_each_recent_critical_complaint_is_emailed_on_its_own_once(env) -> None:
    subjects = critical.send(env.settings, "run-1", alerted_by="intraday", now=NOW)
    assert subjects == [
        "[complaints] Critical complaint: Severity 5 as registered, Phone, received 2026-09-09 09:15 (PH-7)",
        "[complaints] Critical complaint: Injury, Social, received 2026-09-09 10:42 (SO-1)",
    ]
    first, second = mails(env.sink)
    assert first["To"] == "duty-manager@example.com" and first["X-Priority"] == "1"
    text = second.get_body(preferencelist=("plain",)).get_content()
    assert 'Why critical: Injury ("burned my" in its text); also Fire' in text
    assert "Received: 2026-09-09 10:42 (Wednesday, Asia/Shanghai)" in text
    assert "Product: Smartphone" in text and "Region: Wuhan" in text and "Severity: -" in text
    # The backfill's complaint is logged, not emailed; nothing goes out twice, whichever run comes next.
    assert log(env.settings) == [
        ("PH-7", "sent", "intraday"),
        ("SO-1", "sent", "intraday"),
        ("WB-3", "historical", "intraday"),
    ]
    assert critical.send(env.settings, "run-2", alerted_by="intraday", now=NOW) == []
    assert critical.send(env.settings, "daily-1", alerted_by="daily", now=NOW + dt.timedelta(hours=14)) == []
    assert len(mails(env.sink)) == 2


def test_a_complaint_only_the_learned_classifier_found_says_so(tmp_path) -> None:
    found = critical.Critical(
        "WB-4", dt.date(2026, 9, 9), dt.datetime(2026, 9, 9, 2, 0), "web", "billing_dispute", "router", "xian", None,
        "legal", None, 0.62, 1, "legal",
    )  # fmt: skip
    message = critical.compose(found, Labels(), "pipeline@example.com", ["duty@example.com"], "Asia/Shanghai")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Why critical: Legal action (the learned classifier: 62% likely, from its text)" in text
    page = message.get_body(preferencelist=("html",)).get_content()
    (tmp_path / "model.html").write_text(page, encoding="utf-8")
    dom = chromium(tmp_path / "model.html", width=360, height=640, screenshot="critical_email_model_360px.png")
    assert "Legal action (the learned classifier: 62% likely, from its text)" in shown_text(dom)


def test_a_refused_critical_email_is_sent_by_the_next_run(env) -> None:
    env.sink.reject_next(1)
    with pytest.raises(
        AlertSendError, match=r"1 critical complaint alert\(s\) not sent.*: PH-7 \(the mail server refused: 451"
    ):
        critical.send(env.settings, "run-1", now=NOW)
    assert [row[:2] for row in log(env.settings)] == [("PH-7", "failed"), ("SO-1", "sent"), ("WB-3", "historical")]
    assert critical.send(env.settings, "run-2", now=NOW + dt.timedelta(minutes=10)) == [
        "[complaints] Critical complaint: Severity 5 as registered, Phone, received 2026-09-09 09:15 (PH-7)"
    ]
    assert query(env.settings, "select attempts from ops.critical_alert_log where complaint_id = 'PH-7'") == [(2,)]


def test_the_critical_email_holds_no_text_nor_customer_and_reads_on_a_phone(env, tmp_path) -> None:
    critical.send(env.settings, now=NOW)
    message = mails(env.sink)[1]
    page = message.get_body(preferencelist=("html",)).get_content()
    (tmp_path / "critical.html").write_text(
        page.replace("</body>", "<style>html { width: 360px; }</style></body>"), encoding="utf-8"
    )
    dom = chromium(tmp_path / "critical.html", width=360, height=640, screenshot="critical_email_360px.png")
    shown = shown_text(dom)
    assert "Critical complaint: Injury" in shown and "SO-1" in shown
    # What the email tells, and nothing else: no text, no customer (the mart has neither to give).
    assert re.findall(r"<th[^>]*>([^<]*)</th>", page) == [
        "Reference", "Why critical", "Received", "Channel", "Category", "Product", "Region", "Severity"
    ]  # fmt: skip
