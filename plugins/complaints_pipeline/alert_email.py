"""The surge alert as an email a service manager reads on a phone: display names, rounded numbers, a chart of
each surging series against its expectation as an inline image (mail clients show it without loading
anything), a table that fits 360 px, and links to the run's report, the dashboards and Data Docs.

Counts and labels only, never complaint text or a customer's identity; every value from the data is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from complaints_pipeline.report import charts
from complaints_pipeline.report.data import Labels

log = logging.getLogger(__name__)

CHART_DAYS = 28  # the weeks the chart shows, up to the surge's date
MAX_CHARTS = 3  # charts in one email: the largest rises
TOP_BEHIND = 3  # categories listed behind each flagged series


@dataclass(frozen=True)
class Links:
    report: str | None = None
    dashboard: str | None = None
    data_docs: str | None = None


@dataclass(frozen=True)
class Envelope:
    """Who the email goes to and from, and what it links to."""

    sender: str
    recipients: list[str]
    links: Links = field(default_factory=Links)
    run_id: str | None = None


def series_label(labels: Labels, flag) -> str:
    return labels.series(flag.dimension_name, flag.dimension_value)


def expected_text(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def ratio_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}×"


def also_raised(labels: Labels, flags) -> list[str]:
    """The date's other flags, one line per surge in another dimension that lifts them (surge_cause.py), then
    those the surge above lifts in its own dimension."""
    causes: dict[tuple, list] = {}
    for flag in flags:
        causes.setdefault(flag.explained_by or (), []).append(f"{series_label(labels, flag)} {ratio_text(flag.ratio)}")
    return [
        f"Also raised, lifted by {labels.series(*cause)}: {'; '.join(items)}." if cause
        else f"Also raised, following the surge above: {'; '.join(items)}."
        for cause, items in sorted(causes.items(), key=lambda item: not item[0])
    ]  # fmt: skip


def behind_text(labels: Labels, flag) -> str:
    kind = "product" if flag.dimension_name == "category" else "category"
    return ", ".join(f"{labels(kind, value)} {count:,}" for value, count in flag.behind) or "-"


def subject(alert, labels: Labels) -> str:
    top = alert.flags[0]
    more = f", and {len(alert.flags) - 1} more" if len(alert.flags) > 1 else ""
    if alert.digest:
        dates = sorted({f.surge_date for f in alert.flags})
        return (
            f"[complaints] Historical surges on {len(dates)} dates, {dates[0]} to {dates[-1]} (backfill digest): "
            f"{len(alert.flags)} series"
        )
    historical = "Historical: " if alert.historical else ""
    when = f"on {alert.surge_date.isoformat()}"
    if alert.as_of is not None:
        when += f" by {alert.as_of:%H:%M}"
    escalated = " (was Warning)" if top.key in alert.escalated else ""
    return (
        f"[complaints] {historical}{labels('surge_level', top.surge_level)} surge {when}: "
        f"{series_label(labels, top)} {top.ratio:.1f}x expected{escalated}{more}"
    )


def span_text(flag) -> str:
    """What an intraday flag counted: " by 10:40" (since midnight) or " from 10:10 to 10:40" (the recent window)."""
    if flag.as_of is None:
        return ""
    if flag.since is not None and flag.since.time() != dt.time(0):
        return f" from {flag.since:%H:%M} to {flag.as_of:%H:%M}"
    return f" by {flag.as_of:%H:%M}"


def sent_text(labels: Labels, sent) -> str:
    """When a series was alerted before, and at what level: "Warning, alerted at 10:40 by the intraday run"."""
    by = "the intraday run" if sent.alerted_by == "intraday" else "the daily run"
    at = f"{sent.sent_at:%H:%M} UTC" if sent.sent_at else "an earlier run"
    return f"{labels('surge_level', sent.level)}, alerted at {at} by {by}"


def chart_spec(labels: Labels, flag, history: list[dict]) -> charts.Spec:
    """The series' last CHART_DAYS days against expected, its surges marked (history: surge_date,
    actual_count, expected_count, surge_level), 300 px wide for a phone."""
    rows = [
        {
            "series": "flag",
            "date": str(r["surge_date"])[:10],
            "actual": r["actual_count"],
            "expected": r["expected_count"],
            "level": r["surge_level"],
            "level_label": labels("surge_level", r["surge_level"]) if r["surge_level"] else None,
        }
        for r in history
    ]
    levels = {code: labels("surge_level", code) for code in charts.LEVEL_COLOURS}
    return charts.volume(f"{series_label(labels, flag)}, last {CHART_DAYS // 7} weeks", rows, levels, width=300)


def png(spec: charts.Spec) -> bytes | None:
    """The chart as a PNG (2x, for sharp phone screens), or None when it cannot be drawn: the email goes out
    without it rather than not at all."""
    try:
        import vl_convert

        return vl_convert.vegalite_to_png(spec, vl_version="5.21", scale=2)
    except Exception as error:  # noqa: BLE001 - a chart is never worth an alert not sent
        log.warning("the alert chart could not be drawn: %s", error)
        return None


def _cells(labels: Labels, flag) -> tuple[str, str, str, str]:
    level = f"{labels('surge_level', flag.surge_level)}, {ratio_text(flag.ratio)}"
    return series_label(labels, flag), f"{flag.actual_count:,}", expected_text(flag.expected_count), level


HEADINGS = ("Series", "Complaints", "Expected", "Level")


def compose(alert, labels: Labels, envelope: Envelope, images: dict[tuple, bytes]) -> EmailMessage:
    """The alert as multipart/alternative: plain text, and HTML with its charts (images: flag key -> PNG) as
    related parts."""
    days = sorted({f.surge_date for f in alert.flags})
    when = f"{days[0]} to {days[-1]}" if len(days) > 1 else f"{days[0]} ({days[0]:%A})"
    title = f"{'Historical complaint surges' if alert.digest else 'Complaint surge'} on {when}"
    notes = []
    if alert.as_of is not None:
        title = f"Complaint surge today so far: {days[0]} ({days[0]:%A}), by {alert.as_of:%H:%M}"
        notes.append(
            f"Counted up to {alert.as_of:%H:%M} against what is expected in those hours (the day's expectation x"
            " the share of the day that usually arrives in them on this weekday)."
        )
    if alert.historical:
        notes.append("These dates are older than the alert window: the alert comes from a backfill or a late load.")
    for flag in alert.flags:
        if flag.key in alert.escalated:
            notes.append(
                f"{series_label(labels, flag)} has risen: it was {sent_text(labels, alert.escalated[flag.key])}."
            )
    already = "; ".join(f"{series_label(labels, f)} ({sent_text(labels, sent)})" for f, sent in alert.already)
    behind_kind = "categories (for a category, its products)"
    also = also_raised(labels, alert.also_raised)
    footer = (
        f"Sent once for each date, series and level by {'complaints_intraday' if alert.as_of else 'complaints_daily'}"
        f"{f' (run {envelope.run_id})' if envelope.run_id else ''}; the alert log is ops.alert_log in the warehouse."
    )
    link_list = [
        (name, url)
        for name, url in (
            ("This run's report", envelope.links.report),
            ("Dashboards", envelope.links.dashboard),
            ("Data quality (Data Docs)", envelope.links.data_docs),
        )
        if url
    ]

    text = [title, "", *notes]
    for flag in alert.flags:
        series, actual, expected, level = _cells(labels, flag)
        date = f" on {flag.surge_date}" if alert.digest else ""
        text += [f"{series}{date}: {actual} complaints{span_text(flag)}, about {expected} expected ({level})"]
        text += [f"  Behind it, the top {TOP_BEHIND} {behind_kind}: {behind_text(labels, flag)}"]
    if also:
        text += ["", *also]
    if already:
        text += ["", f"Already alerted on this date: {already}."]
    text += ["", *(f"{name}: {url}" for name, url in link_list), "", footer]

    esc = html.escape
    cids = {key: make_msgid(domain="complaints-pipeline")[1:-1] for key in images}
    parts = [f"<h2 style='font-size:18px;margin:0 0 8px'>{esc(title)}</h2>"]
    parts += [f"<p style='color:#a05a00;margin:4px 0'>{esc(note)}</p>" for note in notes]
    for flag in alert.flags:
        if flag.key in cids:
            alt = f"{series_label(labels, flag)}: complaints per day against expected"
            parts.append(
                f"<img src='cid:{cids[flag.key]}' alt='{esc(alt, quote=True)}' width='300'"
                " style='display:block;max-width:100%;height:auto;margin:8px 0'>"
            )
    head = "".join(
        f"<th align='{'left' if i in (0, 3) else 'right'}' style='padding:4px;border-bottom:1px solid #ccc'>"
        f"{esc(h)}</th>"
        for i, h in enumerate(HEADINGS)
    )
    body = []
    for flag in alert.flags:
        cells = _cells(labels, flag)
        series = cells[0] + (f" ({flag.surge_date})" if alert.digest else "")
        body.append(
            "<tr>"
            + "".join(
                f"<td align='{'left' if i in (0, 3) else 'right'}' style='padding:4px'>{esc(c)}</td>"
                for i, c in enumerate((series, *cells[1:]))
            )
            + "</tr>"
        )
        body.append(
            "<tr><td colspan='4' style='padding:0 4px 8px;color:#555;font-size:13px;border-bottom:1px solid #eee'>"
            f"Behind it: {esc(behind_text(labels, flag))}</td></tr>"
        )
    parts.append(
        "<table width='100%' cellspacing='0' style='border-collapse:collapse;font-size:14px;max-width:600px'>"
        f"<tr>{head}</tr>{''.join(body)}</table>"
    )
    parts.append(f"<p style='font-size:13px;color:#555'>Behind each: its top {TOP_BEHIND} {esc(behind_kind)}.</p>")
    parts += [f"<p>{esc(line)}</p>" for line in also]
    if already:
        parts.append(f"<p>Already alerted on this date: {esc(already)}.</p>")
    if link_list:
        items = "".join(f"<li><a href='{esc(url, quote=True)}'>{esc(name)}</a></li>" for name, url in link_list)
        parts.append(f"<ul style='padding-left:18px'>{items}</ul>")
    parts.append(f"<p style='color:#777;font-size:12px'>{esc(footer)}</p>")
    page = (
        "<html><head><meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body style='margin:0;padding:12px;font-family:Arial,Helvetica,sans-serif;color:#222;max-width:640px'>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )

    message = EmailMessage()
    message["Subject"] = subject(alert, labels)
    message["From"] = envelope.sender
    message["To"] = ", ".join(envelope.recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = alert.message_id
    message.set_content("\n".join(text) + "\n")
    message.add_alternative(page, subtype="html")
    html_part = message.get_payload()[1]
    for key, image in images.items():
        html_part.add_related(image, "image", "png", cid=f"<{cids[key]}>", filename=f"{key[1]}-{key[2]}.png")
    return message


def is_historical(day: dt.date, today: dt.date, lookback_days: int) -> bool:
    """A date older than the lookback window before today: its alert comes from a backfill or a late load."""
    return day < today - dt.timedelta(days=lookback_days)
