"""Surge alert emails against a real warehouse (a DuckDB file, and PostgreSQL) and a real SMTP server on loopback.

The marts the alerts read are written by hand here: which flags, which complaints behind them.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from types import SimpleNamespace

import pytest
from helpers import chromium, query, shown_text

from complaints_pipeline import alert_email, alerts
from complaints_pipeline.demo import smtp_connection
from complaints_pipeline.report.data import Labels
from complaints_pipeline.smtp_sink import SmtpSink, free_port
from complaints_pipeline.warehouse import Connection

DAY = dt.date(2026, 9, 8)  # a Tuesday
LATER = dt.date(2026, 9, 9)

SURGES_DDL = [
    "create schema if not exists marts",
    """create table marts.complaint_surges_daily (
        surge_date date, dimension_name varchar, dimension_value varchar, actual_count integer,
        expected_count double precision, actual_to_expected_ratio double precision, surge_level varchar,
        is_surge boolean, is_concentrated boolean
    )""",
    """create table marts.complaints (
        complaint_id varchar, complaint_date date, channel varchar, complaint_category varchar,
        product varchar, region varchar
    )""",
]


@pytest.fixture
def env(warehouse_settings, tmp_path, monkeypatch):
    """A warehouse (each kind) holding DAY's flags and complaints, a loopback SMTP server, the connection to it."""
    monkeypatch.setenv("AIRFLOW_VAR_COMPLAINTS_ALERT_RECIPIENTS", "managers@example.com, quality@example.com")
    monkeypatch.setenv("AIRFLOW_VAR_COMPLAINTS_DASHBOARD_URL", "https://bi.example.com/d/complaints?a=1&b=2")
    # DAY is recent here: a fixed date would be historical on the day the suite runs (see the tests of that).
    settings = warehouse_settings.model_copy(update={"alert_lookback_days": 36500})
    with Connection(settings) as con:
        for statement in SURGES_DDL:
            con.execute(statement)
        # Four weeks of billing disputes before the surge, for the chart: 100 a day.
        for back in range(1, 28):
            add_flag(con, DAY - dt.timedelta(days=back), "category", "billing_dispute", 100, 100.0, None, True, False)
        add_flag(con, DAY, "category", "billing_dispute", 412, 100.0, "critical", concentrated=True)
        add_flag(con, DAY, "product", "broadband", 150, 90.0, "warning", concentrated=False)
        add_flag(con, DAY, "region", "east", 30, 28.0, None, concentrated=False, surge=False)
        # Behind billing_dispute: 4 broadband, 3 mobile, 2 tv, 1 <script> (the 4th, not listed)
        rows = [("broadband", 4), ("mobile", 3), ("tv", 2), ("<script>", 1)]
        complaints = [(p, "billing_dispute") for p, n in rows for _ in range(n)] + [("broadband", "network")] * 5
        con.executemany(
            "insert into marts.complaints values (?, ?, 'phone', ?, ?, 'east')",
            [(f"c{i}", DAY, category, product) for i, (product, category) in enumerate(complaints)],
        )
    with SmtpSink(tmp_path / "mail") as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(sink.port, "pipeline@example.com"))
        yield SimpleNamespace(settings=settings, sink=sink)


def add_flag(con, day, name, value, actual, expected, level, concentrated, surge=True) -> None:
    """A row of the surge mart; surge=False: a day of the series' history, not flagged."""
    con.execute(
        "insert into marts.complaint_surges_daily values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [day, name, value, actual, expected, actual / expected, level, surge, concentrated],
    )


def mails(sink: SmtpSink) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sink.messages()]


def alert_log(settings) -> list[tuple]:
    return query(
        settings,
        "select surge_date, dimension_name, dimension_value, status, attempts, last_error is not null "
        "from ops.alert_log order by 1, 2, 3",
    )


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    page = message.get_body(preferencelist=("html",)).get_content()
    return text, page


def test_the_alert_leads_with_the_concentrated_surge_and_lists_what_is_behind_it(env) -> None:
    (sent,) = alerts.send_alerts([DAY], env.settings, run_id="manual__1")
    (mail,) = mails(env.sink)
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == "[complaints] Critical surge on 2026-09-08: Category: Billing dispute 4.1x expected"
    assert mail["To"] == "managers@example.com, quality@example.com"  # the Airflow variable, not the default
    assert mail["From"] == "pipeline@example.com"  # the SMTP connection's from_email
    assert mail["Message-ID"] == sent.message_id
    text, page = parts(mail)
    # The alerted series in words, with actual, expected (rounded), level and ratio, and its top 3 products.
    assert "Category: Billing dispute: 412 complaints, about 100 expected (Critical, 4.1×)" in text
    assert "Behind it, the top 3 categories (for a category, its products): Broadband 4, Mobile 3, TV 2" in text
    shown = shown_text(page)
    assert "Category: Billing dispute 412 100 Critical, 4.1×" in shown
    assert "Behind it: Broadband 4, Mobile 3, TV 2" in shown
    # The product it lifts is folded under it (its complaints outside the category are no surge); the watch-level
    # row is not mentioned.
    assert "Also raised, lifted by Category: Billing dispute: Product: Broadband 1.7×." in text
    assert "east" not in text.lower()
    # Links as configured (the Data Docs link is not configured here), escaped in the HTML; the run's report.
    assert "Dashboards: https://bi.example.com/d/complaints?a=1&b=2" in text
    assert "href='https://bi.example.com/d/complaints?a=1&amp;b=2'" in page
    report = (env.settings.published_dir / "reports" / "report-manual__1.html").resolve().as_uri()
    assert f"This run's report: {report}" in text
    assert "Data Docs" not in text


def test_the_alert_shows_the_surging_series_as_an_inline_chart(env) -> None:
    alerts.send_alerts([DAY], env.settings)
    (mail,) = mails(env.sink)
    related = mail.get_body(preferencelist=("related",))
    assert related.get_content_type() == "multipart/related"  # the page and its images, one part
    (image,) = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(image.get_content()[16:20], "big")  # the PNG header's width: drawn at 2x for phones
    assert 500 <= width <= 720
    cid = image["Content-ID"].strip("<>")
    _, page = parts(mail)
    assert f"src='cid:{cid}'" in page and "width='300'" in page  # shown inline, nothing fetched


def test_an_old_date_is_alerted_as_historical_or_in_one_digest(env, monkeypatch) -> None:
    later = DAY + dt.timedelta(days=1)
    with Connection(env.settings) as con:
        add_flag(con, later, "region", "north", 45, 15.0, "critical", concentrated=True)
    old = env.settings.model_copy(update={"alert_lookback_days": 3})  # today, both dates are months old
    sent = alerts.send_alerts([DAY, later], old)
    assert [a.subject for a in sent] == [
        "[complaints] Historical: Critical surge on 2026-09-08: Category: Billing dispute 4.1x expected",
        "[complaints] Historical: Critical surge on 2026-09-09: Region: North 3.0x expected",
    ]
    assert "older than the alert window" in parts(mails(env.sink)[0])[0]

    with Connection(env.settings) as con:
        con.execute("delete from ops.alert_log")
    digest = old.model_copy(update={"historical_alerts": "digest"})
    (sent,) = alerts.send_alerts([DAY, later], digest)
    assert sent.subject == (
        "[complaints] Historical surges on 2 dates, 2026-09-08 to 2026-09-09 (backfill digest): 2 series"
    )
    text, _ = parts(mails(env.sink)[-1])
    assert "Category: Billing dispute on 2026-09-08: 412 complaints" in text
    assert "Region: North on 2026-09-09: 45 complaints" in text
    assert len(alert_log(env.settings)) == 2  # each series logged sent, by the one email


def test_values_from_the_data_are_escaped(env) -> None:
    flag = alerts.Flag(DAY, "product", "<script>alert(1)</script>", 50, 10.0, 5.0, "critical", True, (("<b>x</b>", 3),))
    envelope = alert_email.Envelope("a@example.com", ["b@example.com"])
    message = alert_email.compose(alerts.Alert(DAY, [flag]), Labels(), envelope, {})
    text, page = parts(message)
    assert "<script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;x&lt;/b&gt; 3" in page
    assert "<script>alert(1)</script>" in text  # plain text is shown as text: nothing to escape


def test_each_date_and_dimension_is_alerted_exactly_once(env) -> None:
    assert len(alerts.send_alerts([DAY], env.settings)) == 1
    assert alerts.send_alerts([DAY], env.settings) == []  # a rerun of the date
    assert alerts.send_alerts([DAY - dt.timedelta(days=3), DAY], env.settings) == []  # a backfill over it
    assert len(mails(env.sink)) == 1

    # A later run finds a new surge dimension on the same date (a file that landed late): only it is sent.
    with Connection(env.settings) as con:
        add_flag(con, DAY, "channel", "social", 90, 30.0, "critical", concentrated=True)
    (second,) = alerts.send_alerts([DAY], env.settings)
    assert [f.dimension_value for f in second.flags] == ["social"]
    assert len(mails(env.sink)) == 2
    text, _ = parts(mails(env.sink)[1])
    assert "Channel: Social: 90 complaints" in text and "Billing dispute: 412" not in text
    assert alert_log(env.settings) == [
        (DAY, "category", "billing_dispute", "sent", 1, False),
        (DAY, "channel", "social", "sent", 1, False),
    ]


def test_a_refused_send_is_logged_failed_and_goes_out_with_the_next_try(env) -> None:
    env.sink.reject_next(1)
    with pytest.raises(alerts.AlertSendError, match=r"1 surge alert\(s\) not sent.*451 4.3.0 Mail server busy"):
        alerts.send_alerts([DAY], env.settings)
    assert mails(env.sink) == []
    assert alert_log(env.settings) == [(DAY, "category", "billing_dispute", "failed", 1, True)]

    # The next try, here a run for the following date, sends what the failed one could not.
    (sent,) = alerts.send_alerts([LATER], env.settings)
    assert sent.surge_date == DAY
    assert len(mails(env.sink)) == 1
    assert alert_log(env.settings) == [(DAY, "category", "billing_dispute", "sent", 2, False)]
    assert alerts.send_alerts([LATER], env.settings) == []


def test_an_unreachable_mail_server_fails_every_alert_with_the_reason(env, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port(), "pipeline@example.com"))
    with pytest.raises(alerts.AlertSendError, match="Connection refused"):
        alerts.send_alerts([DAY], env.settings)
    assert alert_log(env.settings) == [(DAY, "category", "billing_dispute", "failed", 1, True)]


def test_a_date_whose_flags_are_all_spread_alerts_on_all_of_them(env) -> None:
    with Connection(env.settings) as con:
        add_flag(con, LATER, "channel", "phone", 60, 30.0, "warning", concentrated=False)
        add_flag(con, LATER, "region", "north", 45, 20.0, "warning", concentrated=False)
    sent = alerts.send_alerts([LATER], env.settings)
    assert [(f.dimension_name, f.dimension_value) for a in sent for f in a.flags] == [
        ("region", "north"),
        ("channel", "phone"),
    ]


def test_the_first_alert_log_by_date_counts_its_dates_as_sent(env) -> None:
    with Connection(env.settings) as con:
        con.execute("create schema ops")
        con.execute(
            "create table ops.alert_log (surge_date date primary key, subject varchar, recipients varchar, "
            "flagged_series integer, sent_at timestamp)"
        )
        con.execute("insert into ops.alert_log values (?, 'old', 'x@example.com', 2, now())", [DAY])
    assert alerts.send_alerts([DAY], env.settings) == []
    assert [row[:4] for row in alert_log(env.settings)] == [
        (DAY, "category", "billing_dispute", "sent"),
        (DAY, "product", "broadband", "sent"),
    ]


def test_the_alert_email_reads_on_a_phone_screen(env, tmp_path) -> None:
    """The HTML part as a mail client shows it (its images from the message, nothing fetched), 360 px wide in
    Chromium: nothing wider than the screen, the chart drawn; the screenshot kept for a person to look at."""
    alerts.send_alerts([DAY], env.settings, run_id="manual__1")
    (mail,) = mails(env.sink)
    related = mail.get_body(preferencelist=("related",))
    page = related.get_body(preferencelist=("html",)).get_content()
    for number, image in enumerate(p for p in related.iter_parts() if p.get_content_type() == "image/png"):
        (tmp_path / f"{number}.png").write_bytes(image.get_content())
        page = page.replace(f"cid:{image['Content-ID'].strip('<>')}", f"{number}.png")
    # Headless Chromium lays out no narrower than 500 px: the page is held to 360 px, as a phone's screen holds
    # it, and the rightmost edge of anything drawn is measured.
    measure = (
        "<style>html { width: 360px; }</style><script>addEventListener('load', () => {"
        " const edges = [...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right);"
        " const i = document.images[0]; document.body.dataset.width = Math.ceil(Math.max(...edges));"
        " document.body.dataset.image = i.complete ? i.naturalWidth + 'x' + i.getBoundingClientRect().width : 'none';"
        " });</script>"
    )
    (tmp_path / "mail.html").write_text(page.replace("</body>", measure + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path / "mail.html", width=360, height=900, screenshot="alert_email_360px.png")
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert int(re.search(r'data-width="(\d+)"', body).group(1)) <= 360  # no sideways scrolling on a phone
    natural, shown = re.search(r'data-image="(\d+)x([\d.]+)"', body).groups()
    assert int(natural) >= 600 and float(shown) <= 336  # drawn at 2x, shown within the screen's margins
    assert "Billing dispute" in shown_text(dom) and "412" in shown_text(dom)


INTRADAY_DDL = [
    """create table marts.complaint_surges_intraday (
        surge_date date, dimension_name varchar, dimension_value varchar, actual_count integer,
        expected_count double precision, actual_to_expected_ratio double precision, surge_level varchar,
        is_surge boolean, is_concentrated boolean, as_of_local timestamp, span_start_local timestamp
    )""",
    "create schema if not exists intermediate",
    """create table intermediate.int_complaints_categorised (
        complaint_id varchar, complaint_date date, channel varchar, complaint_category varchar,
        product varchar, region varchar, received_at timestamp
    )""",
]


def set_flag(con, day, name, value, actual, expected, level) -> None:
    """The surge mart's row of a series, as a later build leaves it (its level changed)."""
    con.execute(
        "update marts.complaint_surges_daily set actual_count = ?, actual_to_expected_ratio = ?, surge_level = ?"
        " where surge_date = ? and dimension_name = ? and dimension_value = ?",
        [actual, actual / expected, level, day, name, value],
    )


def test_a_warning_that_turns_critical_alerts_once_more(env) -> None:
    with Connection(env.settings) as con:
        add_flag(con, LATER, "channel", "social", 48, 30.0, "warning", concentrated=True)
    (first,) = alerts.send_alerts([LATER], env.settings)
    assert first.subject == "[complaints] Warning surge on 2026-09-09: Channel: Social 1.6x expected"
    assert alerts.send_alerts([LATER], env.settings) == []  # still a warning: nothing new

    with Connection(env.settings) as con:  # the day went on (a late file): the same series is critical now
        set_flag(con, LATER, "channel", "social", 90, 30.0, "critical")
    (escalated,) = alerts.send_alerts([LATER], env.settings)
    assert escalated.subject == "[complaints] Critical surge on 2026-09-09: Channel: Social 3.0x expected (was Warning)"
    text, _ = parts(mails(env.sink)[-1])
    assert "Channel: Social has risen: it was Warning, alerted at " in text and "by the daily run." in text
    assert alerts.send_alerts([LATER], env.settings) == []  # each level once
    assert len(mails(env.sink)) == 2
    levels = query(
        env.settings,
        "select surge_level, status from ops.alert_log where surge_date = ? order by first_tried_at",
        [LATER],
    )
    assert levels == [("warning", "sent"), ("critical", "sent")]


def test_an_intraday_alert_is_not_repeated_by_the_next_run_nor_by_the_daily_one(env) -> None:
    as_of = dt.datetime(2026, 9, 9, 10, 40)
    with Connection(env.settings) as con:
        for statement in INTRADAY_DDL:
            con.execute(statement)
        con.execute(
            "insert into marts.complaint_surges_intraday values (?, 'channel', 'social', 36, 12.0, 3.0, 'critical',"
            " true, true, ?, ?), (?, 'total', 'all', 150, 120.0, 1.25, null, false, true, ?, ?)",
            [LATER, as_of, as_of - dt.timedelta(minutes=30), LATER, as_of, dt.datetime(2026, 9, 9)],
        )
        con.executemany(
            "insert into intermediate.int_complaints_categorised values (?, ?, 'social', ?, 'router', 'east', ?)",
            [
                (f"s{i}", LATER, "network" if i < 30 else "billing_dispute", dt.datetime(2026, 9, 9, 2, 20))
                for i in range(36)
            ],
        )
    (sent,) = alerts.send_intraday(env.settings, run_id="scheduled__2026-09-09T02:30:00+00:00")
    assert sent.subject == "[complaints] Critical surge on 2026-09-09 by 10:40: Channel: Social 3.0x expected"
    text, page = parts(mails(env.sink)[0])
    assert "Channel: Social: 36 complaints from 10:10 to 10:40, about 12 expected (Critical, 3.0×)" in text
    assert "Behind it, the top 3 categories (for a category, its products): Network 30, Billing dispute 6" in text
    assert "Counted up to 10:40 against what is expected in those hours" in text
    assert "Sent once for each date, series and level by complaints_intraday" in text
    assert alerts.send_intraday(env.settings) == []  # the next intraday run: the same flag, nothing new

    # After midnight the daily run finds the social surge (critical) and a region surge the day's end brought.
    with Connection(env.settings) as con:
        add_flag(con, LATER, "channel", "social", 120, 30.0, "critical", concentrated=True)
        add_flag(con, LATER, "region", "north", 45, 15.0, "critical", concentrated=True)
        add_flag(con, LATER, "total", "all", 900, 600.0, "warning", concentrated=True)  # lifted by them
    (daily,) = alerts.send_alerts([LATER], env.settings)
    assert [f.dimension_value for f in daily.flags] == ["north"]  # the total is no surge of its own here
    text, _ = parts(mails(env.sink)[-1])
    assert "Also raised, following the surge above: Total 1.5×." in text
    assert "Channel: Social: 120" not in text
    assert re.search(
        r"Already alerted on this date: Channel: Social \(Critical, alerted at \d\d:\d\d UTC by the "
        r"intraday run\)\.",
        text,
    )
    assert len(mails(env.sink)) == 2
    assert query(
        env.settings,
        "select dimension_value, surge_level, alerted_by, as_of_local from ops.alert_log where surge_date = ?"
        " order by 1",
        [LATER],
    ) == [("north", "critical", "daily", None), ("social", "critical", "intraday", as_of)]


def test_a_value_lifted_by_a_surge_in_another_dimension_is_no_alert_of_its_own(env) -> None:
    """A web-form surge lifts the region that complains through the web; a region's own surge is its own.

    By 10:40 (local, UTC+8): web 60 against 20 expected; north 34 against 12, 24 of them web forms; west 30 against
    10, all emails. In the 28 days before, in the same hours, north had 2 web forms and 10 emails a day, west 10
    emails. North outside the web: 10 against 12 x 10/12 = 10 expected, no surge (under 1.5x): explained by the
    web. West outside the web: 30 against 10, 3.0x and z = 1.5 (30^2/3 - 10^2/3) / 10^1/6 = 5.1: its own.
    """
    as_of = dt.datetime(2026, 9, 9, 10, 40)
    midnight = dt.datetime(2026, 9, 9)
    with Connection(env.settings) as con:
        for statement in INTRADAY_DDL:
            con.execute(statement)
        con.executemany(
            "insert into marts.complaint_surges_intraday values (?, ?, ?, ?, ?, ?, 'critical', true, true, ?, ?)",
            [
                (LATER, "channel", "web", 60, 20.0, 3.0, as_of, midnight),
                (LATER, "region", "north", 34, 12.0, 34 / 12, as_of, midnight),
                (LATER, "region", "west", 30, 10.0, 3.0, as_of, midnight),
            ],
        )
        utc_10 = dt.datetime(2026, 9, 9, 2, 0)  # 10:00 local
        today = [("web", "north")] * 24 + [("web", "south")] * 36 + [("email", "north")] * 10
        today += [("email", "west")] * 30
        rows = [(LATER, channel, region, utc_10) for channel, region in today]
        for back in range(1, 29):
            day = LATER - dt.timedelta(days=back)
            at = dt.datetime.combine(day, dt.time(1, 0))  # 09:00 local
            rows += [(day, "web", "north", at)] * 2 + [(day, "email", "north", at)] * 10
            rows += [(day, "email", "west", at)] * 10
        con.executemany(
            "insert into intermediate.int_complaints_categorised values (?, ?, ?, 'network', 'router', ?, ?)",
            [(f"c{i}", *row) for i, row in enumerate(rows)],
        )
    (sent,) = alerts.send_intraday(env.settings)
    assert [(f.dimension_name, f.dimension_value) for f in sent.flags] == [("channel", "web"), ("region", "west")]
    text, _ = parts(mails(env.sink)[0])
    assert "Also raised, lifted by Channel: Web: Region: North 2.8×." in text
    assert alerts.send_intraday(env.settings) == []  # north still flagged in the next run: still explained
    assert len(mails(env.sink)) == 1


def test_the_alert_log_of_one_row_per_series_becomes_one_row_per_level(env) -> None:
    with Connection(env.settings) as con:
        con.execute("create schema ops")
        con.execute(
            """create table ops.alert_log (
                surge_date date not null, dimension_name varchar not null, dimension_value varchar not null,
                surge_level varchar not null, actual_count integer not null, expected_count double precision,
                actual_to_expected_ratio double precision, status varchar not null, attempts integer not null,
                message_id varchar not null, subject varchar not null, recipients varchar not null,
                first_tried_at timestamp not null, last_tried_at timestamp not null, sent_at timestamp,
                last_error varchar, run_id varchar, primary key (surge_date, dimension_name, dimension_value))"""
        )
        con.execute(
            "insert into ops.alert_log values (?, 'category', 'billing_dispute', 'warning', 300, 100.0, 3.0, 'sent',"
            " 1, '<m>', 'old', 'x@example.com', now(), now(), now(), null, 'r1')",
            [DAY],
        )
    # Sent as a warning before: the critical flag of the same series is new; the rest of the log is kept.
    (sent,) = alerts.send_alerts([DAY], env.settings)
    assert [(f.dimension_value, f.surge_level) for f in sent.flags] == [("billing_dispute", "critical")]
    assert query(
        env.settings, "select surge_level, status, alerted_by, run_id from ops.alert_log order by surge_level desc"
    ) == [("warning", "sent", "daily", "r1"), ("critical", "sent", "daily", None)]
