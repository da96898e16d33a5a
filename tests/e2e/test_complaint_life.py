"""One complaint's life on every channel, landed day by day as each source emits it, and the marts on every
day in between; then the same files landed in reverse order give the same final marts.

The life (Asia/Shanghai, working hours 09:00-18:00, no holiday in the week): registered Monday 2026-10-12
10:00; answered Tuesday 09:00; resolved Wednesday 15:00; reopened Thursday 11:00; resolved again Friday
16:00; surveyed Saturday 10:00 (score 4, closed). Each source tells it its own way:
- phone: each day's export holds the ticket as it stands then, with `updated_at`;
- web: the form on Monday, then a status event per change;
- email: the complaint, the service's replies (answered; resolved, by X-Ticket-Status), the customer
  writing again on Thursday (which reopens it), the service's second resolution; no survey;
- social: the post, and the author posting again on Thursday (a version; social tracks no handling).
A second phone ticket, T2, registered Tuesday (11:00) by T1's customer (a repeat complaint), is in Tuesday's
export and never again: nobody answers or resolves it, while the phone exports of the days after go on
arriving. Its first response was due after 24 working hours (Thursday 17:00), its resolution by the close of
the 3rd working day (Friday 18:00); each is late from the end of the day whose export passes it, though no
version of T2 or of any complaint of Tuesday arrives again. A third, T3, from another customer, is answered
and resolved on Tuesday and never exported again: its clocks stopped.
Hand-computed: first response 23 calendar hours, 8 working hours (Monday 10:00-18:00); first resolution
53 calendar hours; the last resolution Friday 16:00 is 102 calendar hours after receipt, and the resolution
was due by the close of the 3rd working day after Monday (Thursday 18:00): late.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import shutil
from pathlib import Path

import pytest
from helpers import query
from homes import settings_in
from records import PHONE_COLUMNS, form, jsonl, mail, phone_csv, phone_row, post, x_page

from complaints_pipeline import ingest, loader, transform
from complaints_pipeline.reference import CHANNELS
from complaints_pipeline.sources.email import complaint_id_for

pytestmark = pytest.mark.e2e

MONDAY = dt.date(2026, 10, 12)
DAYS = [MONDAY + dt.timedelta(days=k) for k in range(6)]
TZ = dt.timezone(dt.timedelta(hours=8))


def local(day: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(DAYS[day], dt.time(hour), tzinfo=TZ)


def utc(day: int, hour: int) -> dt.datetime:
    return local(day, hour).astimezone(dt.UTC).replace(tzinfo=None)


RECEIVED, ANSWERED, RESOLVED, REOPENED, RESOLVED_AGAIN, SURVEYED = (
    local(0, 10),
    local(1, 9),
    local(2, 15),
    local(3, 11),
    local(4, 16),
    local(5, 10),
)


def _phone(day: int) -> bytes:
    def text(moment: dt.datetime | None) -> str:
        return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")

    status, updated = [
        ("open", RECEIVED),
        ("in_progress", ANSWERED),
        ("resolved", RESOLVED),
        ("reopened", REOPENED),
        ("resolved", RESOLVED_AGAIN),
        ("closed", SURVEYED),
    ][day]
    resolved = None if day < 2 else RESOLVED if day < 4 else RESOLVED_AGAIN
    row = phone_row(
        ticket_no="T1",
        call_start=text(RECEIVED),
        status=status,
        first_response_time=text(ANSWERED if day >= 1 else None),
        resolved_time=text(resolved),
        satisfaction="4" if day >= 5 else "",
    )
    rows = [{**row, "updated_at": text(updated)}]
    if day == 1:
        forgotten = phone_row(
            ticket_no="T2",
            call_start=text(local(1, 11)),
            status="open",
            first_response_time="",
            resolved_time="",
            satisfaction="",
        )
        handled = phone_row(
            ticket_no="T3",
            call_start=text(local(1, 12)),
            status="resolved",
            first_response_time=text(local(1, 13)),
            resolved_time=text(local(1, 14)),
            satisfaction="",
            account_no="A3",
        )
        rows += [{**forgotten, "updated_at": text(local(1, 11))}, {**handled, "updated_at": text(local(1, 14))}]
    return phone_csv(*rows, header=(*PHONE_COLUMNS, "updated_at"))


def _web(day: int) -> dict[str, bytes]:
    if day == 0:
        ticket = {"status": "open", "complexity": "general"}
        return {"forms.jsonl": jsonl(form(submission_id="S1", submitted_at=RECEIVED.isoformat(), ticket=ticket))}
    event_at, status = (
        [(ANSWERED, "in_progress"), (RESOLVED, "resolved"), (REOPENED, "reopened")][day - 1]
        if (day <= 3)
        else [(RESOLVED_AGAIN, "resolved"), (SURVEYED, "closed")][day - 4]
    )
    resolved = RESOLVED if day in (2, 3) else RESOLVED_AGAIN if day >= 4 else None
    ticket = {
        "status": status,
        "complexity": "general",
        "first_response_at": ANSWERED.isoformat(),
        "resolved_at": None if resolved is None else resolved.isoformat(),
        "csat": 4 if day == 5 else None,
    }
    event = {"submission_id": "S1", "submitted_at": RECEIVED.isoformat(), "event_at": event_at.isoformat()}
    return {"status_events.jsonl": jsonl({**event, "ticket": ticket})}


def _email(day: int) -> dict[str, bytes]:
    date = {"Date": email.utils.format_datetime(RECEIVED)}
    if day == 0:
        return {"1.eml": mail(headers=date)}
    reply = {"In-Reply-To": "<m1@example.cn>", "References": "<m1@example.cn>"}
    service = {"From": "Acme Care <complaints@acme.example.com>", **reply}
    moments = {
        1: (ANSWERED, service | {"X-Ticket-Status": "pending"}),
        2: (RESOLVED, service | {"X-Ticket-Status": "solved"}),
        3: (REOPENED, reply),
        4: (RESOLVED_AGAIN, service | {"X-Ticket-Status": "solved"}),
    }
    if day not in moments:
        return {}
    moment, headers = moments[day]
    headers = headers | {"Date": email.utils.format_datetime(moment)}
    return {f"r{day}.eml": mail(body="Still broken.", message_id=f"<r{day}@example.cn>", headers=headers)}


def _social(day: int) -> dict[str, bytes]:
    # Someone else complains each day (a day without any post would be a missing export).
    other = post(id=f"80{day}", text=f"@AcmeCare my laptop broke, day {day}", author_id="u2")
    other["created_at"] = local(day, 12).isoformat()
    if day == 0:
        return {"posts_1.json": x_page(post(conversation_id="9001", created_at=RECEIVED.isoformat()), other)}
    if day == 3:
        follow = post(id="9002", text="@AcmeCare broken again", conversation_id="9001", in_reply_to_user_id="u1")
        return {"posts_1.json": x_page({**follow, "created_at": REOPENED.isoformat()}, other)}
    return {"posts_1.json": x_page(other)}


def land(landing: Path, day: int) -> None:
    files = {"phone": {"calls.csv": _phone(day)}, "web": _web(day), "email": _email(day), "social": _social(day)}
    for channel, named in files.items():
        folder = landing / channel / DAYS[day].isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in named.items():
            (folder / name).write_bytes(data)


def run(settings, days: list[int], build: bool = True) -> None:
    dates = [DAYS[d] for d in days]
    for channel in CHANNELS:
        ingest.extract(channel, dates, settings)
    loader.load(list(CHANNELS), dates, settings)
    if build:  # the two marts read here and what they read (every model and test is built elsewhere)
        marts_read = "+complaints +complaint_kpis_daily +complaint_backlog_daily"
        select = ("--select", marts_read, "--exclude-resource-type", "test", "unit_test")
        transform.run_dbt(settings, "build", *select)


COLUMNS = (
    "channel, status, first_responded_at, resolved_at, reopened_at, surveyed_at, satisfaction_score, "
    "first_response_hours, first_response_working_hours, resolution_hours, is_resolution_timely, version_count"
)


LIFE = ("PH-T1", "WB-S1", complaint_id_for("<m1@example.cn>"), "SO-9001")


def open_book(settings) -> list[tuple]:
    return query(
        settings,
        "select backlog_date, channel, open_count, overdue_count, open_under_1_day_count, open_1_to_3_days_count, "
        "open_3_to_7_days_count from marts.complaint_backlog_daily order by 1, 2",
    )


def forgotten(settings) -> tuple | None:
    """T2's first response and resolution timeliness, and the time its snapshot is as of."""
    rows = query(
        settings,
        "select is_first_response_timely, is_resolution_timely, snapshot_at from marts.complaints "
        "where complaint_id = 'PH-T2'",
    )
    return rows[0] if rows else None


def marts(settings) -> dict[str, tuple]:
    rows = query(settings, f"select {COLUMNS}, complaint_id from marts.complaints order by channel")
    return {row[0]: row[1:-1] for row in rows if row[-1] in LIFE}


@pytest.fixture(scope="module")
def days_in_order(tmp_path_factory: pytest.TempPathFactory):
    with settings_in(tmp_path_factory.mktemp("life"), max_quarantined_share="1") as settings:
        seen = []
        for day in range(len(DAYS)):
            land(settings.landing_dir, day)
            run(settings, [day])
            seen.append({**marts(settings), "forgotten": forgotten(settings)})
        yield settings, seen, open_book(settings)


def test_each_day_the_marts_show_the_life_so_far(days_in_order) -> None:
    _, seen, _ = days_in_order
    answered, resolved, reopened = utc(1, 9), utc(2, 15), utc(3, 11)
    resolved_again, surveyed_at = utc(4, 16), None
    phone = [day["phone"] for day in seen]
    # status, first response, resolution, reopening, survey, score, hours to answer (calendar, working)
    assert phone[0][:6] == ("open", None, None, None, None, None)
    assert phone[1][:4] == ("in_progress", answered, None, None)
    assert phone[1][6:8] == (23.0, 8.0)
    assert phone[2][:4] == ("resolved", answered, resolved, None) and phone[2][8] == 53.0
    assert phone[3][:4] == ("reopened", answered, resolved, reopened)
    assert phone[4][:4] == ("resolved", answered, resolved_again, reopened) and phone[4][8] == 102.0
    surveyed_at = phone[5][4]
    assert phone[5][:6] == ("closed", answered, resolved_again, reopened, surveyed_at, 4)
    assert surveyed_at is not None and surveyed_at >= utc(5, 10)
    # Due by Thursday 18:00, resolved Friday: late, once resolved; unresolved but not yet due before.
    assert [day[9] for day in phone] == [None, None, True, True, False, False]
    assert [day[10] for day in phone] == [1, 2, 3, 4, 5, 6]
    # The web form and its status events tell the same life, with the survey at its event's time.
    web = seen[5]["web"]
    assert web[:6] == ("closed", answered, resolved_again, reopened, utc(5, 10), 4) and web[10] == 6
    # Email: answered and resolved by the service's replies, reopened by the customer writing again.
    mail_ = [day["email"] for day in seen]
    assert mail_[1][:4] == ("in_progress", answered, None, None)
    assert mail_[2][:4] == ("resolved", answered, resolved, None)
    assert mail_[3][:4] == ("resolved", answered, resolved, reopened)
    assert mail_[4][:4] == ("resolved", answered, resolved_again, reopened) and mail_[4][10] == 5
    # Social: the second post is a version; nobody handles social, so nothing else changes.
    assert [day["social"][10] for day in seen] == [1, 1, 1, 2, 2, 2]
    assert seen[5]["social"][:4] == (None, None, None, None)


def test_a_complaint_nobody_handles_is_late_once_a_later_export_passes_its_deadline(days_in_order) -> None:
    _, seen, _ = days_in_order
    # (first response timely, resolution timely, snapshot): known as of the end of each day's export.
    assert [day["forgotten"] for day in seen] == [
        None,
        (None, None, utc(2, 0)),
        (None, None, utc(3, 0)),  # Wednesday's end: 16 of the 24 working hours
        (False, None, utc(4, 0)),  # Thursday's end: past 17:00, unanswered
        (False, False, utc(5, 0)),  # Friday's end: past 18:00, unresolved
        (False, False, utc(5, 0) + dt.timedelta(days=1)),
    ]


def test_the_open_book_of_each_day_is_what_was_known_that_day(days_in_order) -> None:
    _, _, book = days_in_order
    # (date, channel, open, overdue, under a day, 1-3 days, 3-7 days). Phone and web: open Monday and
    # Tuesday, resolved Wednesday, reopened Thursday (past its Thursday 18:00 deadline: overdue), resolved
    # Friday. Email: open from the service's first reply (Tuesday) to its resolution; the customer's
    # Thursday mail reopens it in the marts, but sets no state the open book reads. Social: not handled.
    # Phone's T2 stays open from Tuesday on, 13, 37, 61, 85 and 109 hours old at the days' ends, overdue
    # from Friday's.
    assert book == [
        (DAYS[0], "phone", 1, 0, 1, 0, 0),
        (DAYS[0], "web", 1, 0, 1, 0, 0),
        (DAYS[1], "email", 1, 0, 0, 1, 0),
        (DAYS[1], "phone", 2, 0, 1, 1, 0),
        (DAYS[1], "web", 1, 0, 0, 1, 0),
        (DAYS[2], "phone", 1, 0, 0, 1, 0),
        (DAYS[3], "phone", 2, 1, 0, 1, 1),
        (DAYS[3], "web", 1, 1, 0, 0, 1),
        (DAYS[4], "phone", 1, 1, 0, 0, 1),
        (DAYS[5], "phone", 1, 1, 0, 0, 1),
    ]


def test_the_kpis_of_the_received_date_change_as_versions_arrive(days_in_order) -> None:
    settings, _, _ = days_in_order
    rows = query(
        settings,
        """
        select first_responded_count, resolved_count, reopened_count, surveyed_count
        from marts.complaint_kpis_daily
        where complaint_date = ? and dimension_name = 'channel' and dimension_value = 'phone'
        """,
        [MONDAY],
    )
    assert rows == [(1, 1, 1, 1)]


def test_an_incremental_build_leaves_no_temporary_table_behind(days_in_order) -> None:
    """dbt-duckdb builds an incremental model's rows into a temporary table that lives as long as dbt's connection:
    in a daily build, to its end, where a million complaints a day ran a later test out of memory. The post-hook
    drop_build_temp drops each once its rows are in: every one the last day's build made, as dbt logged it."""
    settings, _, _ = days_in_order
    log = (settings.home / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
    last = log[log.rindex("Running with dbt=") :]
    made = set(re.findall(r'"(\w+__dbt_tmp\d+)"', last))
    dropped = set(re.findall(r'drop table if exists temp\.main\."(\w+__dbt_tmp\d+)"', last))
    models = {re.sub(r"__dbt_tmp\d+$", "", name) for name in made}
    assert {"complaints", "complaint_backlog_daily", "int_complaints_open_spells"} <= models, models
    assert dropped == made


def test_the_daily_builds_leave_the_marts_a_full_rebuild_gives(days_in_order, tmp_path) -> None:
    """The clock models rebuild by complaint (macros/clock_rebuild.sql): on the days before a landing day, only the
    complaints whose clocks still run. On Sunday only a new ticket T4 lands (phone): no earlier date changes, so
    of Tuesday only T2 is rebuilt (now as of Sunday's end), its repeat flag kept from before; T3's stopped clocks
    stay as Tuesday's build left them. Rebuilt whole from the same raw rows, the marts are the same to the last
    column."""
    settings_in_order, _, _ = days_in_order
    clock_marts = ("complaints", "complaint_kpis_daily")
    sunday = DAYS[-1] + dt.timedelta(days=1)
    fresh = phone_row(ticket_no="T4", call_start=f"{sunday} 10:00:00", status="open", account_no="A4")
    fresh["first_response_time"] = fresh["resolved_time"] = fresh["satisfaction"] = ""

    def rows(settings) -> dict[str, list[tuple]]:
        return {mart: query(settings, f"select * from marts.{mart} order by all") for mart in clock_marts}

    with settings_in(tmp_path / "daily", max_quarantined_share="1") as settings:
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings_in_order.warehouse_path, settings.warehouse_path)
        folder = settings.landing_dir / "phone" / sunday.isoformat()
        folder.mkdir(parents=True)
        (folder / "calls.csv").write_bytes(
            phone_csv({**fresh, "updated_at": f"{sunday} 10:00:00"}, header=(*PHONE_COLUMNS, "updated_at"))
        )
        ingest.extract("phone", [sunday], settings)
        loader.load(["phone"], [sunday], settings)
        select = ("--select", "+complaints +complaint_kpis_daily", "--exclude-resource-type", "test", "unit_test")
        transform.run_dbt(settings, "build", *select)
        daily, warehouse = rows(settings), settings.warehouse_path
        clocks = query(
            settings,
            "select complaint_id, is_repeat, snapshot_at from marts.complaints"
            " where complaint_id in ('PH-T2', 'PH-T3', 'PH-T4') order by 1",
        )
    with settings_in(tmp_path / "whole", max_quarantined_share="1") as settings:
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(warehouse, settings.warehouse_path)
        transform.run_dbt(settings, "build", *select, "--full-refresh")
        rebuilt = rows(settings)
    assert clocks == [
        ("PH-T2", True, utc(5, 0) + dt.timedelta(days=2)),
        ("PH-T3", False, utc(1, 14)),
        ("PH-T4", False, utc(5, 0) + dt.timedelta(days=2)),
    ]
    assert [len(daily[mart]) for mart in clock_marts] == [len(rebuilt[mart]) for mart in clock_marts]
    assert daily == rebuilt


def test_the_same_life_landed_in_reverse_order_gives_the_same_marts(days_in_order, tmp_path) -> None:
    settings_in_order, seen, book = days_in_order
    with settings_in(tmp_path, max_quarantined_share="1") as settings:
        shutil.copytree(settings_in_order.landing_dir, settings.landing_dir)
        for day in reversed(range(len(DAYS))):
            run(settings, [day], build=day == 0)
        assert {**marts(settings), "forgotten": forgotten(settings)} == seen[-1]
        assert open_book(settings) == book
