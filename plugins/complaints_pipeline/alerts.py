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
variables `complaints_dashboard_url`, `complaints_data_docs_url` and `complaints_report_url`. What the email
shows, and how, is alert_email.py. A date older than `alert_lookback_days` (a backfill) is alerted as
historical: its own email marked so in the subject, or all of them in one digest (`historical_alerts`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from complaints_pipeline import alert_email
from complaints_pipeline.alert_email import Envelope, Links
from complaints_pipeline.config import Settings, addresses, airflow_variable
from complaints_pipeline.report import report_link
from complaints_pipeline.report.data import Labels, rows
from complaints_pipeline.surge_cause import DIMENSION_COLUMNS, explain
from complaints_pipeline.warehouse import TABLE_DDL, Connection

log = logging.getLogger(__name__)
T = TypeVar("T")


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
    as_of: dt.datetime | None = None  # an intraday flag: counted by this local time of its date
    since: dt.datetime | None = None  # an intraday flag: counted from this local time (midnight: the day so far)
    explained_by: tuple[str, str] | None = None  # (dimension, value) of the surge that lifts it (surge_cause.py)

    @property
    def key(self) -> tuple[dt.date, str, str]:
        return self.surge_date, self.dimension_name, self.dimension_value


# The levels that alert, lowest first: a series alerts once at each, so a warning that becomes critical alerts again.
LEVELS = ("warning", "critical")


@dataclass(frozen=True)
class Sent:
    """What the alert log says went out for a series: its highest level, when, and by which run."""

    level: str
    sent_at: dt.datetime
    alerted_by: str  # daily | intraday
    as_of: dt.datetime | None = None


@dataclass(frozen=True)
class Alert:
    surge_date: dt.date
    flags: list[Flag]  # the surge dimensions this email alerts on (not yet sent)
    also_raised: list[Flag] = field(default_factory=list)  # the date's other flags, following the surge
    historical: bool = False  # older than the lookback window: from a backfill or a late load
    digest: bool = False  # several historical dates in one email
    subject: str = ""  # as the email says it (alert_email.subject), once composed
    as_of: dt.datetime | None = None  # an intraday alert: its date's complaints by this local time
    escalated: dict[tuple, Sent] = field(default_factory=dict)  # flag key -> the lower level alerted before
    already: list[tuple[Flag, Sent]] = field(default_factory=list)  # the date's flags alerted before, unchanged

    @property
    def message_id(self) -> str:
        """The same alert keeps its Message-ID through retries: a resent copy shows as one message."""
        keys = "|".join(f"{f.surge_date}|{f.dimension_name}={f.dimension_value}|{f.surge_level}" for f in self.flags)
        digest = hashlib.sha256(keys.encode()).hexdigest()[:20]
        return f"<surge-{self.surge_date}-{digest}@complaints-pipeline>"


def flags_on(con, days: list[dt.date], settings: Settings) -> dict[dt.date, list[Flag]]:
    """The surge flags of these dates, largest rise first, each with the top categories behind it and the
    surge in another dimension that explains it, if one does."""
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
        flags.setdefault(row[0], []).append(Flag(*row, behind=_behind(con, "marts.complaints", *row[:3])))
    return {day: explain(con, "marts.complaints", day_flags, settings) for day, day_flags in flags.items()}


def intraday_flags(con, settings: Settings) -> dict[dt.date, list[Flag]]:
    """The intraday surge flags as of the last intraday build (marts.complaint_surges_intraday), largest rise
    first, each with the top categories behind it among the complaints loaded so far and the surge in another
    dimension that explains it, if one does."""
    relation = "intermediate.int_complaints_categorised"
    rows = con.execute(
        """
        select surge_date, dimension_name, dimension_value, actual_count, expected_count,
               actual_to_expected_ratio, surge_level, coalesce(is_concentrated, true), as_of_local, span_start_local
        from marts.complaint_surges_intraday
        where is_surge
        order by is_concentrated desc, actual_to_expected_ratio desc, dimension_name, dimension_value
        """
    ).fetchall()
    flags: dict[dt.date, list[Flag]] = {}
    for *row, as_of, since in rows:
        behind = _behind(con, relation, *row[:3])
        flags.setdefault(row[0], []).append(Flag(*row, behind=behind, as_of=as_of, since=since))
    return {day: explain(con, relation, day_flags, settings) for day, day_flags in flags.items()}


def _behind(con, relation: str, day: dt.date, dimension: str, value: str) -> tuple[tuple[str, int], ...]:
    breakdown = "product" if dimension == "category" else "complaint_category"
    where = "true" if dimension == "total" else f"{DIMENSION_COLUMNS[dimension]} = $value"
    params = {"day": day, "top": alert_email.TOP_BEHIND}
    if dimension != "total":
        params["value"] = value
    rows = con.execute(
        f"""
        select coalesce({breakdown}, 'unknown'), count(*) as complaints
        from {relation}
        where complaint_date = $day and {where}
        group by 1 order by complaints desc, 1 limit $top
        """,
        params,
    ).fetchall()
    return tuple((value, count) for value, count in rows)


def plan(flags: dict[dt.date, list[Flag]], sent: dict[tuple, Sent]) -> list[Alert]:
    """One alert per date with surge dimensions not yet sent at their level (a series sent as a warning that is
    critical now alerts again, once): its concentrated flags not explained by a surge in another dimension (all
    its unexplained flags when none stands out; the total only when no other value stands out), the date's
    other flags as also raised, and its flags sent before as already alerted."""
    alerts = []
    for day, day_flags in sorted(flags.items()):
        unexplained = [f for f in day_flags if f.explained_by is None]
        own = [f for f in unexplained if f.is_concentrated] or unexplained
        # The total stands for itself only when no value stands out that day (now, or alerted before): a
        # surge in one channel raises the total too, and is one alert.
        if any(f.dimension_name != "total" for f in own) or any(k[0] == day and k[1] != "total" for k in sent):
            own = [f for f in own if f.dimension_name != "total"]
        new = [f for f in own if f.key not in sent or _rank(f.surge_level) > _rank(sent[f.key].level)]
        if new:
            escalated = {f.key: sent[f.key] for f in new if f.key in sent}
            already = [(f, sent[f.key]) for f in own if f not in new and f.key in sent]
            also = [f for f in day_flags if f not in own]
            alerts.append(Alert(day, new, also, as_of=new[0].as_of, escalated=escalated, already=already))
    return alerts


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else -1


def sent_levels(con) -> dict[tuple, Sent]:
    """Each series' highest level sent, from the alert log."""
    sent: dict[tuple, Sent] = {}
    for day, name, value, level, sent_at, alerted_by, as_of in con.execute(
        "select surge_date, dimension_name, dimension_value, surge_level, sent_at, alerted_by, as_of_local "
        "from ops.alert_log where status = 'sent'"
    ).fetchall():
        key = (day, name, value)
        if key not in sent or _rank(level) > _rank(sent[key].level):
            sent[key] = Sent(level, sent_at, alerted_by, as_of)
    return sent


def historical(alerts: list[Alert], today: dt.date, lookback_days: int, mode: str) -> list[Alert]:
    """Mark the alerts of dates older than the lookback window historical; with mode `digest`, fold them into
    one email (the recent ones keep theirs)."""
    old = [replace(a, historical=True) for a in alerts if alert_email.is_historical(a.surge_date, today, lookback_days)]
    recent = [a for a in alerts if not alert_email.is_historical(a.surge_date, today, lookback_days)]
    if mode == "digest" and len(old) > 1:
        flags = [f for a in old for f in a.flags]
        old = [Alert(old[0].surge_date, flags, historical=True, digest=True)]
    return old + recent


def _history(con, flag: Flag) -> list[dict]:
    """The flagged series' days up to the surge, for its chart; an intraday flag's day as counted by its time."""
    days = rows(
        con,
        "select surge_date, actual_count, expected_count, surge_level from marts.complaint_surges_daily"
        " where dimension_name = ? and dimension_value = ? and surge_date between ? and ? order by surge_date",
        [
            flag.dimension_name,
            flag.dimension_value,
            flag.surge_date - dt.timedelta(days=alert_email.CHART_DAYS - 1),
            flag.surge_date,
        ],
    )
    if flag.as_of is not None:
        days = [d for d in days if str(d["surge_date"])[:10] != flag.surge_date.isoformat()]
        days.append(
            {
                "surge_date": flag.surge_date,
                "actual_count": flag.actual_count,
                "expected_count": flag.expected_count,
                "surge_level": flag.surge_level,
            }
        )
    return days


def _charts(con, alert: Alert, labels: Labels) -> dict[tuple, bytes]:
    images = {}
    for flag in alert.flags[: alert_email.MAX_CHARTS]:
        image = alert_email.png(alert_email.chart_spec(labels, flag, _history(con, flag)))
        if image is not None:
            images[flag.key] = image
    return images


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
    elif columns and "alerted_by" not in columns:
        _migrate_to_levels(con)
    con.execute(TABLE_DDL["ops.alert_log"])


# The columns an alert log kept before it had a row per level; the rest are the daily run's and none.
_SERIES_LOG_COLUMNS = (
    "surge_date, dimension_name, dimension_value, surge_level, actual_count, expected_count, "
    "actual_to_expected_ratio, status, attempts, message_id, subject, recipients, first_tried_at, last_tried_at, "
    "sent_at, last_error, run_id"
)


def _migrate_date_log(con) -> None:
    """The first alert log had one row per date: its dates' flags count as sent."""
    con.execute("alter table ops.alert_log rename to alert_log_by_date")
    con.execute(TABLE_DDL["ops.alert_log"])
    con.execute(
        f"""
        insert into ops.alert_log ({_SERIES_LOG_COLUMNS}, alerted_by)
        select s.surge_date, s.dimension_name, s.dimension_value, s.surge_level, s.actual_count, s.expected_count,
               s.actual_to_expected_ratio, 'sent', 1, '', l.subject, l.recipients, l.sent_at, l.sent_at, l.sent_at,
               null, null, 'daily'
        from ops.alert_log_by_date as l
        inner join marts.complaint_surges_daily as s on s.surge_date = l.surge_date and s.is_surge
        """
    )
    con.execute("drop table ops.alert_log_by_date")


def _migrate_to_levels(con) -> None:
    """The alert log of one row per series: each row stands for its level, sent by the daily run."""
    con.execute("alter table ops.alert_log rename to alert_log_by_series")
    con.execute(TABLE_DDL["ops.alert_log"])
    con.execute(
        f"insert into ops.alert_log ({_SERIES_LOG_COLUMNS}, alerted_by) "
        f"select {_SERIES_LOG_COLUMNS}, 'daily' from ops.alert_log_by_series"
    )
    con.execute("drop table ops.alert_log_by_series")


def _log_attempt(
    con, alert: Alert, message: EmailMessage, status: str, error: str | None, run_id: str | None, alerted_by: str
):
    for flag in alert.flags:
        con.execute(
            """
            insert into ops.alert_log values (
                $day, $name, $value, $level, $actual, $expected, $ratio, $status, 1, $message_id, $subject,
                $recipients, now(), now(), case when $sent then now() end, $error, $run_id, $alerted_by, $as_of)
            on conflict (surge_date, dimension_name, dimension_value, surge_level) do update set
                actual_count = excluded.actual_count, expected_count = excluded.expected_count,
                actual_to_expected_ratio = excluded.actual_to_expected_ratio, status = excluded.status,
                attempts = alert_log.attempts + (excluded.status = 'pending')::integer,
                message_id = excluded.message_id, subject = excluded.subject, recipients = excluded.recipients,
                last_tried_at = excluded.last_tried_at, sent_at = excluded.sent_at,
                last_error = excluded.last_error, run_id = excluded.run_id, alerted_by = excluded.alerted_by,
                as_of_local = excluded.as_of_local
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
                "alerted_by": alerted_by,
                "as_of": flag.as_of,
            },
        )
        if status == "sent":  # a lower level not sent yet never needs to be: it is no longer news
            con.execute(
                """
                update ops.alert_log set status = 'superseded'
                where surge_date = $day and dimension_name = $name and dimension_value = $value
                    and status <> 'sent' and surge_level <> $level
                """,
                {
                    "day": flag.surge_date,
                    "name": flag.dimension_name,
                    "value": flag.dimension_value,
                    "level": flag.surge_level,
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


def links(settings: Settings, run_id: str | None) -> Links:
    return Links(
        report=report_link(settings, run_id, at_run_time(settings, "report_url") or None),
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
    not sent at its level yet. Returns the alerts sent; raises AlertSendError when some could not be."""
    con = Connection(settings)
    try:
        ensure_log(con)
        unsent = {
            r[0]
            for r in con.execute(
                "select surge_date from ops.alert_log where status in ('pending', 'failed')"
            ).fetchall()
        }
        today = dt.datetime.now(ZoneInfo(settings.local_tz)).date()
        alerts = plan(flags_on(con, sorted(set(days) | unsent), settings), sent_levels(con))
        alerts = historical(alerts, today, settings.alert_lookback_days, settings.historical_alerts)
        if not alerts:
            log.info("no new surge to alert on for %s to %s", min(days), max(days))
            return []
        return _send(con, alerts, settings, run_id, "daily")
    finally:
        con.close()


def send_intraday(settings: Settings, run_id: str | None = None) -> list[Alert]:
    """Alert every intraday surge flag (marts.complaint_surges_intraday, as the intraday run just built it) not
    sent at its level yet, by this run or the daily one. Returns the alerts sent."""
    con = Connection(settings)
    try:
        ensure_log(con)
        alerts = plan(intraday_flags(con, settings), sent_levels(con))
        if not alerts:
            log.info("no new intraday surge to alert on")
            return []
        return _send(con, alerts, settings, run_id, "intraday")
    finally:
        con.close()


def _send(con, alerts: list[Alert], settings: Settings, run_id: str | None, alerted_by: str) -> list[Alert]:
    """Compose and send the alerts, logging each attempt; raises AlertSendError naming those that failed."""
    recipients = list(at_run_time(settings, "alert_recipients"))
    hook, sender = smtp_hook(settings)
    labels = Labels.read(con, settings.report_language)
    envelope = Envelope(sender, recipients, links(settings, run_id), run_id)
    alerts = [replace(alert, subject=alert_email.subject(alert, labels)) for alert in alerts]
    outbox = [(a, alert_email.compose(a, labels, envelope, _charts(con, a, labels))) for a in alerts]
    for alert, message in outbox:
        _log_attempt(con, alert, message, "pending", None, run_id, alerted_by)
    sent: list[Alert] = []
    failed: list[tuple[Alert, str]] = []
    for (alert, message), error in deliver(hook, outbox):
        if error is None:
            _log_attempt(con, alert, message, "sent", None, run_id, alerted_by)
            sent.append(alert)
            log.info("sent: %s", alert.subject)
        else:
            _log_attempt(con, alert, message, "failed", error, run_id, alerted_by)
            failed.append((alert, error))
            log.error("could not send %r: %s", alert.subject, error)
    if failed:
        raise AlertSendError(
            f"{len(failed)} surge alert(s) not sent, kept in ops.alert_log as failed and tried again on retry: "
            + "; ".join(f"{a.subject} ({reason})" for a, reason in failed)
        )
    return sent


def deliver(hook, outbox: list[tuple[T, EmailMessage]]) -> Iterator[tuple[tuple[T, EmailMessage], str | None]]:
    """Send each (item, message) through the hook's one connection, yielding it with the error that stopped it
    (None: the server accepted it) as each is tried, so the caller logs it at once. An unreachable server fails
    every message with its reason."""
    try:
        client = hook.get_conn()._smtp_client  # the hook's client: connected, TLS and login as configured
    except Exception as error:  # noqa: BLE001 - the server is unreachable: every message failed, and says why
        client, unreachable = None, _reason(error)
    try:
        for item in outbox:
            if client is None:
                yield item, unreachable
                continue
            try:
                client.send_message(item[1])
            except Exception as error:  # noqa: BLE001 - reported against the message
                yield item, _reason(error)
                continue
            yield item, None
    finally:
        if client is not None:
            client.close()
