"""The fast lane: each critical complaint emailed on its own, once, in the run that loads it.

domain.md: critical complaints (safety hazards, group complaints, legal disputes, media exposure) bypass the
queue through a direct early-warning channel. marts.critical_complaints says which complaints are critical and
why (severity 5, or a keyword of seed critical_keywords); both the intraday and the daily run build it and then
call `send`, so a complaint is alerted by whichever run loads it first.

The log (ops.critical_alert_log) holds one row per complaint: `sent` once the server accepted its email, never
sent again; `pending` or `failed` is tried again by the next run; `historical` when the complaint was first
loaded more than `critical_lookback_hours` after it came in (a backfill): logged, counted in the run's log, not
emailed, as a fast lane for last month's complaints would only bury today's.

The email holds the complaint's reference, its channel, category, product, region, severity, when it came in and
why it is critical (the rule and the keyword matched); never its text or anything of its customer.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from zoneinfo import ZoneInfo

from complaints_pipeline.alerts import AlertSendError, at_run_time, deliver, smtp_hook
from complaints_pipeline.config import Settings
from complaints_pipeline.report.data import Labels, has_mart
from complaints_pipeline.warehouse import TABLE_DDL, Connection

log = logging.getLogger(__name__)

# What each rule means to the person reading the email.
RULES = {
    "injury": "Injury",
    "fire": "Fire",
    "safety": "Safety hazard",
    "severity": "Severity 5 as registered",
    "legal": "Legal action",
    "media": "Media exposure",
    "group": "Group complaint",
}


@dataclass(frozen=True)
class Critical:
    complaint_id: str
    complaint_date: dt.date
    received_at: dt.datetime  # UTC
    channel: str
    complaint_category: str | None
    product: str | None
    region: str | None
    severity: int | None
    critical_rule: str
    matched_keyword: str | None
    model_probability: float | None  # the rule's learned classifier on the text (critical_model.py), if scored
    rule_count: int
    critical_rules: str  # every rule met, in order: "injury, fire"

    @property
    def message_id(self) -> str:
        """The same complaint's email keeps its Message-ID through retries: a resent copy shows as one."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.complaint_id)
        return f"<critical-{safe}@complaints-pipeline>"


def pending(con) -> list[Critical]:
    """The critical complaints not emailed or logged yet, and those whose email has not gone out, oldest first."""
    if not has_mart(con, "critical_complaints"):
        return []
    found = con.execute(
        """
        select c.complaint_id, c.complaint_date, c.received_at, c.channel, c.complaint_category, c.product,
               c.region, c.severity, c.critical_rule, c.matched_keyword, c.model_probability, c.rule_count,
               c.critical_rules
        from marts.critical_complaints as c
        left join ops.critical_alert_log as l on c.complaint_id = l.complaint_id
        where l.complaint_id is null or l.status in ('pending', 'failed')
        order by c.received_at, c.complaint_id
        """
    ).fetchall()
    return [Critical(*row) for row in found]


def subject(critical: Critical, labels: Labels, tz: str) -> str:
    received = _local(critical.received_at, tz)
    return (
        f"[complaints] Critical complaint: {RULES[critical.critical_rule]}, {labels('channel', critical.channel)},"
        f" received {received:%Y-%m-%d %H:%M} ({critical.complaint_id})"
    )


def _local(utc: dt.datetime, tz: str) -> dt.datetime:
    return utc.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(tz))


def compose(critical: Critical, labels: Labels, sender: str, recipients: list[str], tz: str) -> EmailMessage:
    """One complaint's email: plain text and HTML, one short table that fits a phone screen."""
    why = RULES[critical.critical_rule]
    if critical.matched_keyword:
        why += f' ("{critical.matched_keyword}" in its text)'
    elif critical.model_probability is not None:
        why += f" (the learned classifier: {critical.model_probability:.0%} likely, from its text)"
    more = [RULES.get(rule, rule) for rule in critical.critical_rules.split(", ") if rule != critical.critical_rule]
    if more:
        why += "; also " + ", ".join(more)
    received = _local(critical.received_at, tz)
    fields = [
        ("Reference", critical.complaint_id),
        ("Why critical", why),
        ("Received", f"{received:%Y-%m-%d %H:%M} ({received:%A}, {tz})"),
        ("Channel", labels("channel", critical.channel)),
        ("Category", labels("category", critical.complaint_category)),
        ("Product", labels("product", critical.product)),
        ("Region", labels("region", critical.region)),
        ("Severity", "-" if critical.severity is None else str(critical.severity)),
    ]
    intro = "A critical complaint came in: it bypasses the queue (the fast lane) and needs a person now."
    footer = "Sent once per complaint by the pipeline's fast lane; the log is ops.critical_alert_log in the warehouse."
    text = [intro, "", *(f"{name}: {value}" for name, value in fields), "", footer]
    esc = html.escape
    rows = "".join(
        f"<tr><th align='left' style='padding:4px 8px 4px 0;vertical-align:top;white-space:nowrap'>{esc(name)}</th>"
        f"<td style='padding:4px 0'>{esc(value)}</td></tr>"
        for name, value in fields
    )
    page = (
        "<html><head><meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body style='margin:0;padding:12px;font-family:Arial,Helvetica,sans-serif;color:#222;max-width:640px'>\n"
        "<h2 style='font-size:18px;margin:0 0 8px;color:#b00020'>"
        f"Critical complaint: {esc(RULES[critical.critical_rule])}</h2>\n"
        f"<p style='margin:4px 0 8px'>{esc(intro)}</p>\n"
        f"<table cellspacing='0' style='border-collapse:collapse;font-size:14px'>{rows}</table>\n"
        f"<p style='color:#777;font-size:12px'>{esc(footer)}</p>\n</body></html>\n"
    )
    message = EmailMessage()
    message["Subject"] = subject(critical, labels, tz)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = critical.message_id
    message["X-Priority"] = "1"  # mail clients flag it as urgent
    message.set_content("\n".join(text) + "\n")
    message.add_alternative(page, subtype="html")
    return message


_LOG_CONFLICT = """
        on conflict (complaint_id) do update set
            status = excluded.status,
            attempts = critical_alert_log.attempts + (excluded.status = 'pending')::integer,
            message_id = excluded.message_id, subject = excluded.subject, recipients = excluded.recipients,
            last_tried_at = excluded.last_tried_at, sent_at = excluded.sent_at, last_error = excluded.last_error,
            run_id = excluded.run_id, alerted_by = excluded.alerted_by
"""


def _log(con, critical: Critical, status: str, run_id: str | None, alerted_by: str, **sent) -> None:
    message: EmailMessage | None = sent.get("message")
    con.execute(
        """
        insert into ops.critical_alert_log values (
            $id, $day, $rule, $status, $attempts, $message_id, $subject, $recipients, now(), now(),
            case when $sent then now() end, $error, $run_id, $alerted_by)
        """
        + _LOG_CONFLICT,
        {
            "id": critical.complaint_id,
            "day": critical.complaint_date,
            "rule": critical.critical_rule,
            "status": status,
            "attempts": 1 if status == "pending" else 0,
            "message_id": message and message["Message-ID"],
            "subject": message and message["Subject"],
            "recipients": message and message["To"],
            "sent": status == "sent",
            "error": sent.get("error"),
            "run_id": run_id,
            "alerted_by": alerted_by,
        },
    )


def _log_historical(con, found: list[Critical], run_id: str | None, alerted_by: str) -> None:
    """Log a backfill's critical complaints as historical in one statement, as _log would one by one (a backfilled
    day of a million complaints holds some 20,000: one by one took 97 s)."""
    if not found:
        return
    con.execute(
        "create temp table if not exists critical_historical"
        " (complaint_id varchar, complaint_date date, critical_rule varchar)"
    )
    con.execute("delete from critical_historical")
    rows = [(c.complaint_id, c.complaint_date, c.critical_rule) for c in found]
    con.insert_rows("critical_historical", ["complaint_id", "complaint_date", "critical_rule"], rows)
    con.execute(
        """
        insert into ops.critical_alert_log
        select complaint_id, complaint_date, critical_rule, 'historical', 0, cast(null as varchar),
               cast(null as varchar), cast(null as varchar), now(), now(), cast(null as timestamp),
               cast(null as varchar), $run_id, $alerted_by
        from critical_historical
        """
        + _LOG_CONFLICT,
        {"run_id": run_id, "alerted_by": alerted_by},
    )


def send(settings: Settings, run_id: str | None = None, alerted_by: str = "daily", now: dt.datetime | None = None):
    """Email each critical complaint not emailed yet on its own; log the ones a backfill brought (received more
    than critical_lookback_hours before now). Returns the subjects sent; raises AlertSendError when some could
    not be (they are tried again by the next run)."""
    now = now or dt.datetime.now(dt.UTC)
    oldest = now.replace(tzinfo=None) - dt.timedelta(hours=settings.critical_lookback_hours)
    con = Connection(settings)
    try:
        con.execute("create schema if not exists ops")
        con.execute(TABLE_DDL["ops.critical_alert_log"])
        found = pending(con)
        recent = [c for c in found if c.received_at >= oldest]
        _log_historical(con, [c for c in found if c.received_at < oldest], run_id, alerted_by)
        if len(found) > len(recent):
            log.info(
                "%d critical complaints received before %s (a backfill): logged in ops.critical_alert_log, not emailed",
                len(found) - len(recent),
                oldest,
            )
        if not recent:
            return []
        recipients = list(at_run_time(settings, "critical_recipients"))
        hook, sender = smtp_hook(settings)
        labels = Labels.read(con, settings.report_language)
        outbox = [(c, compose(c, labels, sender, recipients, settings.local_tz)) for c in recent]
        for critical, message in outbox:
            _log(con, critical, "pending", run_id, alerted_by, message=message)
        subjects, failed = [], []
        for (critical, message), error in deliver(hook, outbox):
            status = "sent" if error is None else "failed"
            _log(con, critical, status, run_id, alerted_by, message=message, error=error)
            if error is None:
                subjects.append(message["Subject"])
                log.info("sent: %s", message["Subject"])
            else:
                failed.append(f"{critical.complaint_id} ({error})")
                log.error("could not send the critical complaint %s: %s", critical.complaint_id, error)
    finally:
        con.close()
    if failed:
        raise AlertSendError(
            f"{len(failed)} critical complaint alert(s) not sent, kept in ops.critical_alert_log as failed and tried"
            " again by the next run: " + "; ".join(failed)
        )
    return subjects
