"""Surge alert emails: exactly once per date and surge dimension, sent through Airflow's SMTP connection.

What is alerted: the surge flags (`is_surge`) whose rise is their own (`is_concentrated`): a category
surge, not the twenty products and regions it lifts with it. Those others are listed under it, as
"also raised". A date whose flags are all spread (no value stands out) alerts on all of them.

The alert log (ops.alert_log in the warehouse) holds one row per date and flagged series, with its
state: `pending` while being sent, `sent` once the server accepted the message, `failed` with the
server's error. A series already `sent` is never alerted again: retries, reruns and backfills send only
what is new. A series not `sent` is tried again by every later run, whatever dates it processes, until
it goes out; the failed send fails the task (Airflow retries it, then tells the on-call address).
A crash after the server accepted a message but before the log says so resends it once: the message
keeps its Message-ID, so mail clients show the copy as one.

Recipients come from the Airflow variable `complaints_alert_recipients` (default: COMPLAINTS_ALERT_TO),
the sender from the SMTP connection's `from_email` (default: COMPLAINTS_ALERT_FROM), links from the
variables `complaints_dashboard_url` and `complaints_data_docs_url`. The email holds counts and labels
only, never complaint text or a customer's identity (free text can hold names), and every value from the
data is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from complaints_pipeline.config import Settings, addresses, airflow_variable
from complaints_pipeline.warehouse import TABLE_DDL, Connection

log = logging.getLogger(__name__)

TOP_BEHIND = 3  # categories listed behind each flagged series
# The mart column of each surge dimension; behind a category surge come its products instead.
DIMENSION_COLUMNS = {"channel": "channel", "category": "complaint_category", "product": "product", "region": "region"}


class AlertSendError(RuntimeError):
    """Some alerts could not be sent; they stay in the alert log as failed and go out with the next try."""


@dataclass(frozen=True)
class Flag:
    surge_date: dt.date
    dimension_name: str
    dimension_value: str
    actual_count: int
    expected_count: float | None
    ratio: float | None
    surge_level: str
    is_concentrated: bool
    behind: tuple[tuple[str, int], ...] = ()  # (category or product, complaints), largest first

    @property
    def key(self) -> tuple[dt.date, str, str]:
        return self.surge_date, self.dimension_name, self.dimension_value

    @property
    def label(self) -> str:
        return "all complaints" if self.dimension_name == "total" else f"{self.dimension_name} {self.dimension_value}"

    @property
    def behind_label(self) -> str:
        return ", ".join(f"{value} {count}" for value, count in self.behind) or "-"


@dataclass(frozen=True)
class Alert:
    surge_date: dt.date
    flags: list[Flag]  # the surge dimensions this email alerts on (not yet sent)
    also_raised: list[Flag] = field(default_factory=list)  # the date's other flags, following the surge

    @property
    def message_id(self) -> str:
        """The same alert keeps its Message-ID through retries: a resent copy shows as one message."""
        keys = "|".join(f"{f.dimension_name}={f.dimension_value}" for f in self.flags)
        digest = hashlib.sha256(f"{self.surge_date}|{keys}".encode()).hexdigest()[:20]
        return f"<surge-{self.surge_date}-{digest}@complaints-pipeline>"

    @property
    def subject(self) -> str:
        top = self.flags[0]
        more = f", and {len(self.flags) - 1} more" if len(self.flags) > 1 else ""
        return (
            f"[complaints] {top.surge_level.capitalize()} surge on {self.surge_date.isoformat()}: "
            f"{top.label} {top.ratio:.1f}x expected{more}"
        )


@dataclass(frozen=True)
class Links:
    dashboard: str | None = None
    data_docs: str | None = None


def flags_on(con, days: list[dt.date]) -> dict[dt.date, list[Flag]]:
    """The surge flags of these dates, largest rise first, each with the top categories behind it."""
    rows = con.execute(
        """
        select surge_date, dimension_name, dimension_value, actual_count, expected_count,
               actual_to_expected_ratio, surge_level, coalesce(is_concentrated, true)
        from marts.complaint_surges_daily
        where is_surge and surge_date in (select unnest(?::date[]))
        order by surge_date, is_concentrated desc, actual_to_expected_ratio desc, dimension_name, dimension_value
        """,
        [days],
    ).fetchall()
    flags: dict[dt.date, list[Flag]] = {}
    for row in rows:
        flags.setdefault(row[0], []).append(Flag(*row, behind=_behind(con, *row[:3])))
    return flags


def _behind(con, day: dt.date, dimension: str, value: str) -> tuple[tuple[str, int], ...]:
    breakdown = "product" if dimension == "category" else "complaint_category"
    where = "true" if dimension == "total" else f"{DIMENSION_COLUMNS[dimension]} = $value"
    params = {"day": day, "top": TOP_BEHIND}
    if dimension != "total":
        params["value"] = value
    rows = con.execute(
        f"""
        select coalesce({breakdown}, 'unknown'), count(*) as complaints
        from marts.complaints
        where complaint_date = $day and {where}
        group by 1 order by complaints desc, 1 limit $top
        """,
        params,
    ).fetchall()
    return tuple((value, count) for value, count in rows)


def plan(flags: dict[dt.date, list[Flag]], sent: set[tuple[dt.date, str, str]]) -> list[Alert]:
    """One alert per date with surge dimensions not yet sent: its concentrated flags (all its flags
    when none stands out), and the date's other flags as also raised."""
    alerts = []
    for day, day_flags in sorted(flags.items()):
        own = [f for f in day_flags if f.is_concentrated] or day_flags
        new = [f for f in own if f.key not in sent]
        if new:
            alerts.append(Alert(day, new, [f for f in day_flags if f not in own]))
    return alerts


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _expected(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


COLUMNS = ("dimension", "value", "actual", "expected", "ratio", "level", f"top {TOP_BEHIND} behind it")


def _cells(flag: Flag) -> tuple[str, ...]:
    return (
        flag.dimension_name,
        flag.dimension_value,
        str(flag.actual_count),
        _expected(flag.expected_count),
        _ratio(flag.ratio),
        flag.surge_level,
        flag.behind_label,
    )


def compose(alert: Alert, links: Links, sender: str, recipients: list[str], run_id: str | None = None) -> EmailMessage:
    """The alert as a multipart/alternative message: plain text, and HTML with every data value escaped."""
    day = alert.surge_date
    weekday = day.strftime("%A")
    behind_note = f"Behind each: its top {TOP_BEHIND} complaint categories (for a category, its top products)."
    also = "; ".join(f"{f.label} {_ratio(f.ratio)}x ({f.surge_level})" for f in alert.also_raised)
    footer = (
        f"Sent once for this date and these dimensions by complaints_daily{f' (run {run_id})' if run_id else ''}; "
        "the alert log is ops.alert_log in the warehouse."
    )

    widths = [max(len(c), *(len(_cells(f)[i]) for f in alert.flags)) for i, c in enumerate(COLUMNS)]
    table = [
        "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip(),
        *("  ".join(c.ljust(w) for c, w in zip(_cells(f), widths, strict=True)).rstrip() for f in alert.flags),
    ]
    text = [f"Complaint surge on {day.isoformat()} ({weekday})", "", *table, "", behind_note]
    if also:
        text += ["", f"Also raised, as the surge above lifts its whole dimension: {also}."]
    text += [""]
    if links.dashboard:
        text.append(f"Dashboards: {links.dashboard}")
    if links.data_docs:
        text.append(f"Data quality (Data Docs): {links.data_docs}")
    text += ["", footer]

    esc = html.escape
    head = "".join(f"<th align='left'>{esc(c)}</th>" for c in COLUMNS)
    rows = "\n".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in _cells(f)) + "</tr>" for f in alert.flags)
    parts = [
        f"<h2>Complaint surge on {esc(day.isoformat())} ({esc(weekday)})</h2>",
        f"<table border='1' cellpadding='4' cellspacing='0'>\n<tr>{head}</tr>\n{rows}\n</table>",
        f"<p>{esc(behind_note)}</p>",
    ]
    if also:
        parts.append(f"<p>Also raised, as the surge above lifts its whole dimension: {esc(also)}.</p>")
    link_items = [
        f"<li><a href='{esc(url, quote=True)}'>{esc(name)}</a></li>"
        for name, url in (("Dashboards", links.dashboard), ("Data quality (Data Docs)", links.data_docs))
        if url
    ]
    if link_items:
        parts.append("<ul>" + "".join(link_items) + "</ul>")
    parts.append(f"<p style='color:#666'>{esc(footer)}</p>")

    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = alert.message_id
    message.set_content("\n".join(text) + "\n")
    message.add_alternative("<html><body>\n" + "\n".join(parts) + "\n</body></html>\n", subtype="html")
    return message


def ensure_log(con) -> None:
    con.execute("create schema if not exists ops")
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'ops' and table_name = 'alert_log'"
        ).fetchall()
    }
    if columns and "dimension_name" not in columns:
        _migrate_date_log(con)
    con.execute(TABLE_DDL["ops.alert_log"])


def _migrate_date_log(con) -> None:
    """The first alert log had one row per date: its dates' flags count as sent."""
    con.execute("alter table ops.alert_log rename to alert_log_by_date")
    con.execute(TABLE_DDL["ops.alert_log"])
    con.execute(
        """
        insert into ops.alert_log
        select s.surge_date, s.dimension_name, s.dimension_value, s.surge_level, s.actual_count, s.expected_count,
               s.actual_to_expected_ratio, 'sent', 1, '', l.subject, l.recipients, l.sent_at, l.sent_at, l.sent_at,
               null, null
        from ops.alert_log_by_date as l
        inner join marts.complaint_surges_daily as s on s.surge_date = l.surge_date and s.is_surge
        """
    )
    con.execute("drop table ops.alert_log_by_date")


def _log_attempt(con, alert: Alert, message: EmailMessage, status: str, error: str | None, run_id: str | None):
    for flag in alert.flags:
        con.execute(
            """
            insert into ops.alert_log values (
                $day, $name, $value, $level, $actual, $expected, $ratio, $status, 1, $message_id, $subject,
                $recipients, now(), now(), case when $sent then now() end, $error, $run_id)
            on conflict (surge_date, dimension_name, dimension_value) do update set
                surge_level = excluded.surge_level, actual_count = excluded.actual_count,
                expected_count = excluded.expected_count,
                actual_to_expected_ratio = excluded.actual_to_expected_ratio, status = excluded.status,
                attempts = alert_log.attempts + (excluded.status = 'pending')::integer,
                message_id = excluded.message_id, subject = excluded.subject, recipients = excluded.recipients,
                last_tried_at = excluded.last_tried_at, sent_at = excluded.sent_at,
                last_error = excluded.last_error, run_id = excluded.run_id
            """,
            {
                "day": flag.surge_date,
                "name": flag.dimension_name,
                "value": flag.dimension_value,
                "level": flag.surge_level,
                "actual": flag.actual_count,
                "expected": flag.expected_count,
                "ratio": flag.ratio,
                "status": status,
                "sent": status == "sent",
                "message_id": message["Message-ID"],
                "subject": message["Subject"],
                "recipients": message["To"],
                "error": error,
                "run_id": run_id,
            },
        )


def at_run_time(settings: Settings, name: str) -> Any:
    """A setting as the Airflow variable its field names overrides it at run time (AIRFLOW_VAR_<KEY> in the
    environment, or set in the UI), where that variable is set and not empty."""
    from airflow.sdk import Variable

    value = Variable.get(airflow_variable(name), default="")
    default = getattr(settings, name)
    if not value:
        return default
    return addresses(value) if isinstance(default, tuple) else value


def smtp_hook(settings: Settings):
    """Airflow's SMTP hook for the configured connection, and the sender: the connection's from_email."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook  # Airflow is only needed when mail goes out

    hook = SmtpHook(smtp_conn_id=settings.smtp_conn_id)
    sender = hook.get_connection(settings.smtp_conn_id).extra_dejson.get("from_email") or settings.alert_sender
    return hook, sender


def links(settings: Settings) -> Links:
    return Links(
        dashboard=at_run_time(settings, "dashboard_url") or None,
        data_docs=at_run_time(settings, "data_docs_url") or None,
    )


def _reason(error: Exception) -> str:
    """The mail server's reply, as a person reads it: "451 4.3.0 Mail server busy, try again later"."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the mail server refused: {error.smtp_code} {error.smtp_error.decode(errors='replace')}"
    return f"{type(error).__name__}: {error}"


def send_alerts(days: list[dt.date], settings: Settings, run_id: str | None = None) -> list[Alert]:
    """Alert every surge dimension of these dates (and of earlier dates whose alert has not gone out yet)
    that was never sent. Returns the alerts sent; raises AlertSendError when some could not be."""
    recipients = list(at_run_time(settings, "alert_recipients"))
    con = Connection(settings)
    sent: list[Alert] = []
    failed: list[tuple[Alert, str]] = []
    try:
        ensure_log(con)
        unsent = {r[0] for r in con.execute("select surge_date from ops.alert_log where status <> 'sent'").fetchall()}
        done = {
            (d, n, v)
            for d, n, v in con.execute(
                "select surge_date, dimension_name, dimension_value from ops.alert_log where status = 'sent'"
            ).fetchall()
        }
        alerts = plan(flags_on(con, sorted(set(days) | unsent)), done)
        if not alerts:
            log.info("no new surge to alert on for %s to %s", min(days), max(days))
            return sent
        hook, sender = smtp_hook(settings)
        outbox = [(alert, compose(alert, links(settings), sender, recipients, run_id)) for alert in alerts]
        for alert, message in outbox:
            _log_attempt(con, alert, message, "pending", None, run_id)
        try:
            client = hook.get_conn()._smtp_client  # the hook's client: connected, TLS and login as configured
        except Exception as error:  # noqa: BLE001 - the server is unreachable: every alert failed, and says why
            client, unreachable = None, _reason(error)
        try:
            for alert, message in outbox:
                try:
                    if client is None:
                        raise ConnectionError(unreachable)
                    client.send_message(message)
                except Exception as error:  # noqa: BLE001 - logged against the alert, raised below
                    reason = str(error) if client is None else _reason(error)
                    _log_attempt(con, alert, message, "failed", reason, run_id)
                    failed.append((alert, reason))
                    log.error("could not send %r: %s", alert.subject, reason)
                    continue
                _log_attempt(con, alert, message, "sent", None, run_id)
                sent.append(alert)
                log.info("sent: %s", alert.subject)
        finally:
            if client is not None:
                client.close()
    finally:
        con.close()
    if failed:
        raise AlertSendError(
            f"{len(failed)} surge alert(s) not sent, kept in ops.alert_log as failed and tried again on retry: "
            + "; ".join(f"{a.subject} ({reason})" for a, reason in failed)
        )
    return sent
