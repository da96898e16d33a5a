"""Surge alert emails: one per flagged date, sent through Airflow's SMTP connection, logged so never resent.

The alert log lives in the warehouse (ops.alert_log); a date already in it is not sent again.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass

from complaints_pipeline.config import Settings
from complaints_pipeline.warehouse import connect

log = logging.getLogger(__name__)

ALERT_LOG_DDL = """
create table if not exists ops.alert_log (
    surge_date date primary key,
    subject varchar not null,
    recipients varchar not null,
    flagged_series integer not null,
    sent_at timestamp not null
)
"""


@dataclass(frozen=True)
class FlaggedSeries:
    surge_date: dt.date
    dimension_name: str
    dimension_value: str
    actual_count: int
    expected_count: float
    ratio: float
    surge_level: str


def flagged_series(con, days: list[dt.date]) -> dict[dt.date, list[FlaggedSeries]]:
    rows = con.execute(
        """
        select surge_date, dimension_name, dimension_value, actual_count, expected_count,
               actual_to_expected_ratio, surge_level
        from marts.complaint_surges_daily
        where is_surge and surge_date in (select unnest(?::date[]))
        order by surge_date, actual_to_expected_ratio desc, dimension_name, dimension_value
        """,
        [days],
    ).fetchall()
    flagged: dict[dt.date, list[FlaggedSeries]] = {}
    for row in rows:
        flagged.setdefault(row[0], []).append(FlaggedSeries(*row))
    return flagged


def compose(day: dt.date, series: list[FlaggedSeries]) -> tuple[str, str]:
    """Subject and HTML body of one date's alert; every value from the data is escaped."""
    top = series[0]
    subject = (
        f"[complaints] Surge on {day.isoformat()}: {top.dimension_name} {top.dimension_value} "
        f"{top.ratio:.1f}x expected ({len(series)} series flagged)"
    )
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(cell))}</td>"
            for cell in (
                s.dimension_name,
                s.dimension_value,
                s.actual_count,
                f"{s.expected_count:.1f}",
                f"{s.ratio:.2f}",
                s.surge_level,
            )
        )
        + "</tr>"
        for s in series
    )
    body = (
        f"<h2>Complaint surge on {day.isoformat()}</h2>"
        "<table border='1' cellpadding='4'><tr><th>dimension</th><th>value</th><th>actual</th>"
        f"<th>expected</th><th>ratio</th><th>level</th></tr>\n{rows}\n</table>"
    )
    return subject, body


def send_alerts(days: list[dt.date], settings: Settings) -> list[dt.date]:
    """Send one email per flagged date not yet in the alert log; returns the dates sent."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook  # Airflow is only needed when mail goes out

    con = connect(settings.warehouse_path)
    sent: list[dt.date] = []
    try:
        con.execute("create schema if not exists ops")
        con.execute(ALERT_LOG_DDL)
        already = {r[0] for r in con.execute("select surge_date from ops.alert_log").fetchall()}
        pending = {d: s for d, s in flagged_series(con, days).items() if d not in already}
        if not pending:
            log.info("no new surge to alert on for %s to %s", min(days), max(days))
            return sent
        with SmtpHook(smtp_conn_id=settings.smtp_conn_id) as hook:
            for day, series in sorted(pending.items()):
                subject, body = compose(day, series)
                hook.send_email_smtp(
                    to=list(settings.alert_recipients),
                    from_email=settings.alert_sender,
                    subject=subject,
                    html_content=body,
                )
                con.execute(
                    "insert into ops.alert_log values (?, ?, ?, ?, now())",
                    [day, subject, ",".join(settings.alert_recipients), len(series)],
                )
                sent.append(day)
                log.info("sent: %s", subject)
    finally:
        con.close()
    return sent
