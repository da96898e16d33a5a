"""complaints_daily run through Airflow (`airflow dags test`, SQLite metadata) on generated days.

Real files, a real DuckDB warehouse and a real SMTP server on loopback; the generator's ground truth
says what the marts must hold.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from helpers import REPO_ROOT, chromium, drawn_marks, shown_text
from services import Pipeline, docs_page

from complaints_pipeline.assets import MARTS
from complaints_pipeline.sample_data import Surge, Suspect, generate
from complaints_pipeline.smtp_sink import SmtpSink
from complaints_pipeline.transform import PUBLICATION_MART

pytestmark = pytest.mark.e2e

FIRST = dt.date(2026, 8, 17)  # a Monday; no public holiday in the range
HISTORY_LAST = dt.date(2026, 9, 6)  # 3 weeks of history: every weekday's baseline has three
HISTORY_DAYS = (HISTORY_LAST - FIRST).days + 1
NORMAL_DAY = dt.date(2026, 9, 7)
SURGE_DAY = dt.date(2026, 9, 8)
PER_DAY = 600
SURGE = Surge(dimension="category", value="billing_dispute", start=SURGE_DAY, days=1, multiplier=4.0)
# On the normal day, a copy campaign of 40 social posts (the channel's day has about 60: counted whole, a surge)
# and one customer's flood of 10 calls.
SUSPECTS = [
    Suspect("campaign", "social", NORMAL_DAY, complaints=40, start_minute=600, minutes=360, letter=0),
    Suspect("flood", "phone", NORMAL_DAY, complaints=10, start_minute=540, minutes=120),
]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("pipeline")
    generate(FIRST, SURGE_DAY, home / "landing", per_day=PER_DAY, seed=7, surges=[SURGE], suspects=SUSPECTS)
    with SmtpSink(home / "mail") as sink:
        runner = Pipeline(home, sink)
        runner.airflow("db", "migrate")
        runner.airflow("pools", "set", "warehouse", "1", "single DuckDB writer")
        yield runner


@pytest.fixture(scope="module")
def after_history(pipeline: Pipeline) -> Pipeline:
    """The historical load: one run over three weeks, as `make demo` does (with full_refresh, which an operator
    sets after changing a rule: every mart rebuilt whole)."""
    pipeline.run_dag(
        NORMAL_DAY, {"start_date": FIRST.isoformat(), "end_date": HISTORY_LAST.isoformat(), "full_refresh": True}
    )
    return pipeline


def test_the_history_load_builds_every_mart_once(after_history: Pipeline) -> None:
    dbt_log = (after_history.home / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
    builds = re.findall(r"'invocation_command': 'dbt build ([^']*)'", dbt_log)
    # cosmos's one build, every mart over all history but the one that reads the publication log, which
    # record_publication then builds once
    assert [b.split(" --project-dir")[0] for b in builds] == [
        "--exclude complaint_kpis_monthly tag:intraday --full-refresh --log-format json",
        "--select complaint_kpis_monthly",
    ]
    # the second reuses the first's parse of the project (cosmos_dbt.keep_artifacts) instead of parsing it again
    (publication,) = [run for run in dbt_log.split("Running with dbt=") if "'dbt build --select complaint" in run]
    assert "Partial parsing enabled, no changes found, skipping parsing" in publication
    assert "Unable to do partial parsing" not in publication
    # every table and incremental model the one long build makes is checkpointed after it commits, which frees what
    # it held in DuckDB (macros/checkpoint_warehouse.sql); views are not
    (build,) = [run for run in dbt_log.split("Running with dbt=") if "'dbt build --exclude complaint" in run]
    checkpointed = re.findall(r"On model\.complaints\.(\w+): /\* [^\n]*?\*/(?:\s|\\n)*checkpoint\b", build)
    manifest = json.loads((after_history.home / "dbt" / "target" / "manifest.json").read_text(encoding="utf-8"))
    built = {
        node["name"]: node["config"]["materialized"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] != PUBLICATION_MART and "intraday" not in node["tags"]
    }
    assert sorted(checkpointed) == sorted(name for name, kind in built.items() if kind != "view")
    assert {"int_complaints_clocked", "complaints", "complaint_kpis_daily"} <= set(checkpointed)


def test_history_loads_every_good_record_and_quarantines_every_bad_one(after_history: Pipeline) -> None:
    recon = {
        (channel, day): (records_in, loaded, quarantined, skipped)
        for channel, day, records_in, loaded, quarantined, skipped in after_history.query(
            "select channel, partition_date, records_in, loaded, quarantined, skipped from raw.load_reconciliation"
        )
    }
    days = [FIRST + dt.timedelta(days=n) for n in range(HISTORY_DAYS)]
    assert len(recon) == 4 * len(days)
    for day in days:
        truth = after_history.ground_truth(day)["counts"]
        for channel, counts in truth.items():
            good = counts["generated"] - counts["bad"] - counts["skipped"]
            expected = (counts["generated"], good, counts["bad"], counts["skipped"])
            assert recon[(channel, day)] == expected, f"{channel} {day}"
    # The expectations some row failed are kept per channel and day (the demo summary counts them).
    failed = {
        name
        for (names,) in after_history.query("select expectations_failed from raw.load_reconciliation")
        for name in (names or "").split("; ")
        if name
    }
    assert "expect_column_values_to_be_between(satisfaction_score)" in failed  # satisfaction_out_of_range
    assert "expect_column_pair_values_a_to_be_greater_than_b(resolved_at)" in failed  # resolved_before_received


# Each fault the generator injects, and the expectation meant to catch it: the channel's raw contract
# (expectations/<channel>.json), the canonical suite (complaints.json), or the reader ("parse": a line
# that is no JSON is no record a suite could judge).
CAUGHT_BY = {
    ("phone", "bad_timestamp"): "expect_column_values_to_match_regex(call_start)",
    ("phone", "satisfaction_out_of_range"): "expect_column_values_to_be_between(satisfaction_score)",
    ("phone", "resolved_before_received"): "expect_column_pair_values_a_to_be_greater_than_b(resolved_at)",
    ("email", "missing_date"): "expect_column_values_to_not_be_null(Date)",
    ("email", "empty_body"): "expect_column_value_lengths_to_be_between(complaint_text)",
    ("web", "malformed_json"): "parse",
    ("web", "missing_submitted_at"): "expect_column_values_to_not_be_null(submitted_at)",
    ("web", "satisfaction_out_of_range"): "expect_column_values_to_be_between(satisfaction_score)",
    ("social", "empty_text"): "expect_column_value_lengths_to_be_between(complaint_text)",
    ("social", "missing_created_at"): "expect_column_values_to_not_be_null(created_at)",
}


def test_each_injected_bad_record_is_quarantined_where_it_was(after_history: Pipeline) -> None:
    quarantined = {
        (channel, source_file, position): check
        for channel, source_file, position, check in after_history.query(
            "select channel, source_file, source_position, check_name from raw.quarantine"
        )
    }
    injected = [
        b for n in range(HISTORY_DAYS) for b in after_history.ground_truth(FIRST + dt.timedelta(days=n))["bad_records"]
    ]
    assert injected, "the generator injected no bad records"
    missing = [b for b in injected if (b["channel"], b["source_file"], b["position"]) not in quarantined]
    assert not missing, f"injected bad records not quarantined: {missing}"
    assert {(b["channel"], b["kind"]) for b in injected} == set(CAUGHT_BY)  # every kind was injected
    wrong = [
        (b, quarantined[(b["channel"], b["source_file"], b["position"])])
        for b in injected
        if quarantined[(b["channel"], b["source_file"], b["position"])] != CAUGHT_BY[(b["channel"], b["kind"])]
    ]
    assert not wrong, f"caught by another expectation than the one meant for it: {wrong[:5]}"
    skipped = set(after_history.query("select channel, source_file, source_position, kind from raw.skipped"))
    not_a_complaint = [
        (s["channel"], s["source_file"], s["position"], s["kind"])
        for n in range(HISTORY_DAYS)
        for s in after_history.ground_truth(FIRST + dt.timedelta(days=n))["skipped_records"]
    ]
    assert {k for _, _, _, k in not_a_complaint} == {"auto_reply", "bounce", "repost"}
    assert skipped == set(not_a_complaint)


def test_marts_count_every_loaded_complaint(after_history: Pipeline) -> None:
    by_day = dict(after_history.query("select complaint_date, count(*) from marts.complaints group by 1"))
    kpi_by_day = dict(
        after_history.query(
            "select complaint_date, complaint_count from marts.complaint_kpis_daily where dimension_name = 'total'"
        )
    )
    for n in range(HISTORY_DAYS):
        day = FIRST + dt.timedelta(days=n)
        counts = after_history.ground_truth(day)["counts"]
        good = sum(c["generated"] - c["bad"] - c["skipped"] - c["updates"] for c in counts.values())
        assert by_day[day] == good, day
        assert kpi_by_day[day] == good, day
    # Categories inferred from text (email, social), products and regions read from free text
    # must add up to what the generator wrote, per day and value.
    for dimension, column in [("category", "complaint_category"), ("product", "product"), ("region", "region")]:
        got = {
            (day, value): n
            for day, value, n in after_history.query(
                f"select complaint_date, {column}, count(*) from marts.complaints group by all"
            )
        }
        expected = {
            (FIRST + dt.timedelta(days=n), value): count
            for n in range(HISTORY_DAYS)
            for value, count in after_history.ground_truth(FIRST + dt.timedelta(days=n))["dimension_counts"][
                dimension
            ].items()
        }
        assert got == expected, dimension
    weeks = after_history.query(
        "select week_start_date, sum(complaint_share), max(cumulative_share) from marts.complaint_root_causes_weekly "
        "group by 1"
    )
    assert weeks and all(abs(total - 1) < 1e-9 and abs(top - 1) < 1e-9 for _, total, top in weeks)


KPI_DAY = dt.date(2026, 9, 4)  # a Friday: many complaints wait over the weekend
OPENS, CLOSES = dt.time(9), dt.time(18)  # seed working_schedule, Monday to Friday


def _working_seconds(start: dt.datetime, end: dt.datetime) -> float:
    """Seconds of [start, end] inside 09:00-18:00 on Monday to Friday (no public holiday in the e2e range)."""
    total, day = 0.0, start.date()
    while day <= end.date():
        if day.weekday() < 5:
            opens, closes = dt.datetime.combine(day, OPENS), dt.datetime.combine(day, CLOSES)
            total += max(0.0, (min(end, closes) - max(start, opens)).total_seconds())
        day += dt.timedelta(days=1)
    return total


def _resolution_due(received: dt.datetime, working_days: int) -> dt.datetime:
    """The close of the Nth working day after the day of receipt."""
    day = received.date()
    while working_days:
        day += dt.timedelta(days=1)
        working_days -= day.weekday() < 5
    return dt.datetime.combine(day, CLOSES)


def test_one_days_phone_kpis_equal_a_hand_computation(after_history: Pipeline) -> None:
    """The tickets received on KPI_DAY, read with the csv module from that day's export and the later exports
    that updated them, each as its latest row says, worked out in Python, against the mart."""
    with (REPO_ROOT / "dbt_project" / "seeds" / "cost_rates.csv").open(encoding="utf-8", newline="") as handle:
        rates = {row["rate_name"]: float(row["rate"]) for row in csv.DictReader(handle)}
    landing = after_history.home / "landing" / "phone"
    bad = {b["position"] for b in after_history.ground_truth(KPI_DAY)["bad_records"] if b["channel"] == "phone"}
    own = f"CC{KPI_DAY:%Y%m%d}"
    versions: dict[str, list[dict[str, str]]] = {}
    for offset in range((HISTORY_LAST - KPI_DAY).days + 1):
        day = KPI_DAY + dt.timedelta(days=offset)
        with (landing / day.isoformat() / f"calls_{day}.csv").open(encoding="utf-8-sig", newline="") as handle:
            for n, row in enumerate(csv.DictReader(handle), start=1):
                if row["ticket_no"].startswith(own) and not (day == KPI_DAY and str(n) in bad):
                    versions.setdefault(row["ticket_no"], []).append(row)
    calls = [max(rows, key=lambda row: row["updated_at"]) for rows in versions.values()]  # the current state
    was_reopened = {ticket for ticket, rows in versions.items() if any(r["status"] == "reopened" for r in rows)}

    def at(text: str) -> dt.datetime | None:
        return dt.datetime.fromisoformat(text) if text else None

    # What was known: the latest time the day's tickets' versions describe.
    moments = ("call_start", "first_response_time", "resolved_time", "updated_at")
    snapshot = max(at(c[t]) for c in calls for t in moments if c[t])
    first_due = timely_first = resolution_due = timely_resolution = surveyed = satisfied = 0
    resolved = effective = escalated = reopened = first_contact = 0
    scores, cost = [], 0.0
    for c in calls:
        received, answered, done = at(c["call_start"]), at(c["first_response_time"]), at(c["resolved_time"])
        urgent, complex_ = int(c["severity"]) >= 4, c["complexity"] == "complex"
        limit = 2 * 3600 if urgent else 24 * 3600

        def elapsed(end: dt.datetime, received=received, urgent=urgent) -> float:
            return (end - received).total_seconds() if urgent else _working_seconds(received, end)

        if answered or elapsed(snapshot) > limit:
            first_due += 1
            timely_first += bool(answered) and elapsed(answered) <= limit
        due = _resolution_due(received, 7 if complex_ else 3)
        if done or snapshot > due:
            resolution_due += 1
            timely_resolution += bool(done) and done <= due
        score = int(c["satisfaction"]) if c["satisfaction"] else None
        if score is not None:
            surveyed, satisfied = surveyed + 1, satisfied + (score >= 4)
            scores.append(score)
        if done:
            resolved += 1
            effective += c["status"] != "reopened" and (score is None or score >= 3)
            first_contact += answered is not None and done <= answered
        reopened += c["ticket_no"] in was_reopened
        escalated += int(c["escalation_level"]) > 0
        # Every stage at the seed's rates: the handling minutes (or the standard registration where none are
        # recorded), each escalation tier, compensation as paid, the survey where answered.
        minutes = float(c["handle_minutes"]) if c["handle_minutes"] else rates["registration_minutes"]
        cost += minutes * rates["agent_minute"] + int(c["escalation_level"]) * rates["escalation_level"]
        cost += float(c["compensation"] or 0) * rates["compensation"] + (rates["follow_up_survey"] if score else 0)

    (mart,) = after_history.query(
        """
        select complaint_count, timely_first_response_rate, timely_handling_rate, satisfaction_rate,
               avg_satisfaction_score, effective_resolution_rate, escalation_rate, reopen_rate,
               first_contact_resolution_rate, cost_per_complaint
        from marts.complaint_kpis_daily
        where complaint_date = ? and dimension_name = 'channel' and dimension_value = 'phone'
        """,
        [KPI_DAY],
    )
    n = len(calls)
    by_hand = (
        n,
        timely_first / first_due,
        timely_resolution / resolution_due,
        satisfied / surveyed,
        sum(scores) / len(scores),
        effective / resolved,
        escalated / n,
        reopened / resolved,
        first_contact / resolved,
        cost / n,
    )
    assert mart == pytest.approx(by_hand, rel=1e-9)
    # The day is not trivial: some first responses were late (over a weekend, on the working clock), some
    # complaints were resolved in the first contact. (Late resolutions are rare in generated data: the dbt
    # unit tests hold those cases.)
    assert 0 < timely_first < first_due and resolution_due > 0 and 0 < first_contact < resolved


def test_history_without_surges_sends_no_email(after_history: Pipeline) -> None:
    assert after_history.query("select count(*) from marts.complaint_surges_daily where is_surge") == [(0,)]
    assert after_history.mails() == []


# A dashboard refreshing: another process that connects afresh for each query, until stdin closes.
FRESH_READER = """
import sys, threading, time, duckdb
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
while not stop.wait(0.05):
    try:
        with duckdb.connect(sys.argv[1], read_only=True) as con:
            count, last = con.execute(sys.argv[2]).fetchone()
        print(count, last, flush=True)
    except duckdb.Error as error:
        print("error", str(error).replace(chr(10), " "), flush=True)
"""


class SnapshotReaders:
    """BI readers of the published marts while a run writes: this process holds one connection open and
    queries it throughout; another process connects afresh for every query, as a dashboard refresh does."""

    QUERY = "select count(*), max(complaint_date) from marts.complaints"

    def __init__(self, path: Path) -> None:
        self.held = duckdb.connect(str(path), read_only=True)
        self.before = self.held.execute(self.QUERY).fetchone()
        self.held_seen: list[tuple] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._hold)
        self._fresh = subprocess.Popen(
            [sys.executable, "-c", FRESH_READER, str(path), self.QUERY],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.fresh_seen: list[tuple] = []
        self.errors: list[str] = []

    def _hold(self) -> None:
        cursor = self.held.cursor()
        while not self._stop.wait(0.05):
            self.held_seen.append(cursor.execute(self.QUERY).fetchone())

    def __enter__(self) -> SnapshotReaders:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.held.close()
        output, _ = self._fresh.communicate("", timeout=60)
        for line in output.splitlines():
            if line.startswith("error"):
                self.errors.append(line)
            else:
                count, last = line.split()
                self.fresh_seen.append((int(count), dt.date.fromisoformat(last)))


@pytest.fixture(scope="module")
def after_normal_day(after_history: Pipeline) -> Pipeline:
    """A scheduled run at midnight (Shanghai) after the day: its data interval is the day itself. BI readers
    keep querying the published marts while it runs."""
    with SnapshotReaders(after_history.home / "published" / "complaints_marts.duckdb") as readers:
        after_history.run_dag(NORMAL_DAY + dt.timedelta(days=1))
        time.sleep(1)  # the fresh reader's next queries see the new snapshot
    after_history.readers = readers
    return after_history


def test_bi_readers_of_the_published_marts_never_block_the_run_nor_see_it_half_done(
    after_normal_day: Pipeline,
) -> None:
    readers = after_normal_day.readers
    history = after_normal_day.query("select count(*) from marts.complaints where complaint_date <= ?", [HISTORY_LAST])
    assert readers.before == (history[0][0], HISTORY_LAST)
    # The held connection read the snapshot it opened, unchanged, all through the run (which succeeded).
    assert len(readers.held_seen) > 100 and set(readers.held_seen) == {readers.before}
    # A fresh connection saw the old snapshot, then the new one, and nothing in between.
    after = after_normal_day.query("select count(*), max(complaint_date) from marts.complaints")[0]
    assert after[1] == NORMAL_DAY and after[0] > readers.before[0]
    assert not readers.errors
    changes = [seen for n, seen in enumerate(readers.fresh_seen) if n == 0 or seen != readers.fresh_seen[n - 1]]
    assert changes == [readers.before, after]
    with duckdb.connect(str(after_normal_day.home / "published" / "complaints_marts.duckdb"), read_only=True) as con:
        info = con.execute("select run_id, business_dates from marts.snapshot_info").fetchone()
        marts = {
            n for (n,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        }
    assert info[0].startswith("manual__") and info[1] == [NORMAL_DAY]
    assert {"complaints", "complaint_kpis_daily", "complaint_surges_daily", "snapshot_info"} <= marts
    # The example DAG scheduled on the published marts reads them as a BI tool does.
    result = after_normal_day.airflow("dags", "test", "complaints_marts_published")
    assert "state=success" in result.stdout + result.stderr
    assert f"'complaints': {after[0]}" in result.stdout + result.stderr
    parquet = after_normal_day.home / "published" / "parquet" / "current" / "complaint_kpis_daily.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall() == after_normal_day.query(
        "select count(*) from marts.complaint_kpis_daily"
    )


def test_a_normal_day_loads_that_day_and_sends_no_email(after_normal_day: Pipeline) -> None:
    loaded = after_normal_day.query(
        "select sum(loaded) from raw.load_reconciliation where partition_date = ?", [NORMAL_DAY]
    )[0][0]
    truth = after_normal_day.ground_truth(NORMAL_DAY)["counts"]
    assert loaded == sum(c["generated"] - c["bad"] - c["skipped"] for c in truth.values())
    assert after_normal_day.mails() == []


def test_the_injected_flood_and_campaign_are_found_counted_once_and_ordinary_repeats_are_not(
    after_normal_day: Pipeline,
) -> None:
    """The generator's flood and copy campaign of the normal day are the only suspects found in four weeks, whole;
    the surge model counts each once, so neither raises a surge (the normal day sent no email, above)."""
    q = after_normal_day.query
    truth = after_normal_day.ground_truth(NORMAL_DAY)["suspects"]
    assert [(s["kind"], s["channel"], s["complaints"]) for s in truth] == [
        ("campaign", "social", 40),
        ("flood", "phone", 10),
    ]
    found = q(
        "select complaint_date, suspect_kind, complaint_count, customer_count, channel_count"
        " from marts.complaint_floods_daily order by suspect_kind"
    )
    assert found == [(NORMAL_DAY, "campaign", 40, 40, 1), (NORMAL_DAY, "flood", 10, 1, 1)]
    # Ordinary repeat complaints exist (customers complaining again within 30 days), and none is a suspect.
    [(repeaters, flagged)] = q(
        "select count(*) filter (where customer_complaints_30d >= 2),"
        " count(*) filter (where is_suspected_flood or is_suspected_campaign) from marts.complaints"
    )
    assert repeaters > 50 and flagged == 50
    # Counted once: the surge model's social and phone counts are the day's complaints less 39 and 9.
    counted = dict(
        q(
            "select dimension_value, actual_count from marts.complaint_surges_daily"
            " where surge_date = ? and dimension_name = 'channel'",
            [NORMAL_DAY],
        )
    )
    complaints = dict(
        q("select channel, count(*) from marts.complaints where complaint_date = ? group by 1", [NORMAL_DAY])
    )
    assert counted["social"] == complaints["social"] - 39 and counted["phone"] == complaints["phone"] - 9
    assert counted["email"] == complaints["email"] and counted["web"] == complaints["web"]


def test_a_surge_day_sends_exactly_one_email_even_when_the_send_fails_once_and_the_day_is_rerun(
    after_normal_day: Pipeline,
) -> None:
    pipeline = after_normal_day
    pipeline.sink.reject_next(1)  # the relay is busy at the first try: the task fails, Airflow retries it
    output = pipeline.run_dag(SURGE_DAY + dt.timedelta(days=1))
    assert pipeline.sink.handler.rejected == 1
    assert "the mail server refused: 451 4.3.0 Mail server busy" in output
    flagged = pipeline.query(
        "select dimension_name, dimension_value, surge_level, is_concentrated from marts.complaint_surges_daily "
        "where is_surge and surge_date = ?",
        [SURGE_DAY],
    )
    concentrated = [(d, v) for d, v, _, own in flagged if own]
    assert concentrated == [("category", "billing_dispute")]

    (mail,) = pipeline.mails()
    # The suite's dates are months before today: a backfill's alert, marked historical.
    subject = f"[complaints] Historical: Critical surge on {SURGE_DAY}: Category: Billing dispute "
    assert mail["Subject"].startswith(subject)
    text = mail.get_body(preferencelist=("plain",)).get_content()
    page = mail.get_body(preferencelist=("html",)).get_content()
    (row,) = [line for line in text.splitlines() if line.startswith("Category: Billing dispute: ")]
    actual = int(row.removeprefix("Category: Billing dispute: ").split()[0].replace(",", ""))
    assert actual == pipeline.ground_truth(SURGE_DAY)["dimension_counts"]["category"]["billing_dispute"]
    assert f"Category: Billing dispute {actual:,} " in shown_text(page)
    # Its chart, inline: the series against its expectation over the last four weeks.
    related = mail.get_body(preferencelist=("related",))
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]
    assert "Data quality (Data Docs): https://quality.example.com/docs/index.html" in text
    # No personal data: no customer's name, address or phone number from the day's files.
    (export,) = (pipeline.home / "landing" / "phone" / SURGE_DAY.isoformat()).glob("*.csv")
    with export.open(encoding="utf-8-sig", newline="") as handle:
        callers = [(row["caller_name"], row["caller_phone"], row["account_no"]) for row in csv.DictReader(handle)]
    identities = {value for caller in callers for value in caller if value}
    assert len(identities) > 100 and not [value for value in identities if value in text or value in page]
    assert pipeline.query(
        "select status, attempts from ops.alert_log where surge_date = ? order by all", [SURGE_DAY]
    ) == [("sent", 2)]
    assert pipeline.mails("oncall@example.com") == []  # the retry succeeded: nothing failed for good

    rows_before = pipeline.query("select count(*) from raw.web_complaints")
    pipeline.run_dag(SURGE_DAY + dt.timedelta(days=1))  # a rerun of the same date
    assert len(pipeline.mails()) == 1
    assert pipeline.query("select count(*) from raw.web_complaints") == rows_before


def test_the_crm_export_gives_each_known_customer_a_segment_and_its_complaints_a_priority(
    after_normal_day: Pipeline,
) -> None:
    """The generator's CRM export (as of the surge day, loaded by its run above): every customer of it in
    marts.customer_segments, and each of the day's calls that named an account number joined to its customer's
    segment; the calls without one are unknown to the CRM."""
    q = after_normal_day.query
    (export,) = (after_normal_day.home / "landing" / "crm" / SURGE_DAY.isoformat()).glob("customers_*.csv")
    with export.open(encoding="utf-8", newline="") as handle:
        exported = sum(1 for _ in csv.DictReader(handle))
    assert q("select count(*), min(export_date) from marts.customer_segments") == [(exported, SURGE_DAY)]
    (calls,) = (after_normal_day.home / "landing" / "phone" / SURGE_DAY.isoformat()).glob("*.csv")
    own = f"CC{SURGE_DAY:%Y%m%d}"
    bad = {b["position"] for b in after_normal_day.ground_truth(SURGE_DAY)["bad_records"] if b["channel"] == "phone"}
    with calls.open(encoding="utf-8-sig", newline="") as handle:
        tickets = {
            row["ticket_no"]: row["account_no"]
            for n, row in enumerate(csv.DictReader(handle), start=1)
            if row["ticket_no"].startswith(own) and str(n) not in bad
        }
    known = dict(
        q(
            "select customer_segment != 'unknown', count(*) from marts.complaints"
            " where channel = 'phone' and complaint_date = ? group by 1",
            [SURGE_DAY],
        )
    )
    named = sum(1 for account in tickets.values() if account)
    assert named > 100 and known[True] == named and known[False] == len(tickets) - named
    # Priority: severity and value weighed by the seed, higher for a champion's complaint than a hibernating one's.
    [(champions, hibernating)] = q(
        "select avg(priority_score) filter (where customer_segment = 'champions'),"
        " avg(priority_score) filter (where customer_segment = 'hibernating') from marts.complaints"
    )
    assert champions > hibernating
    segments = {s for (s,) in q("select distinct customer_segment from marts.complaint_segments_monthly")}
    assert {"champions", "unknown"} <= segments


def test_data_docs_show_every_channel_day_and_open_offline(after_history: Pipeline) -> None:
    docs = after_history.home / "quality" / "docs"
    index = (docs / "index.html").read_text(encoding="utf-8")
    days = [FIRST + dt.timedelta(days=n) for n in range(HISTORY_DAYS)]
    for channel in ("phone", "email", "web", "social"):
        for day in days:
            for suite in (channel, "complaints", "complaints_day"):
                assert f"validations/{suite}/{channel}-{day}/" in index, (suite, channel, day)
    # The stored results (JSON) behind the pages, keyed by suite, channel-date and run time.
    stored = list((after_history.home / "quality" / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert len(stored) >= 4 * len(days) * 3
    # A day with injected faults: its page names the failed expectation and shows the failing record.
    day, bad = next(
        (day, bad)
        for day in days
        for bad in after_history.ground_truth(day)["bad_records"]
        if bad["channel"] == "phone" and bad["kind"] == "satisfaction_out_of_range"
    )
    page = docs_page(after_history.home, "complaints", "phone", day)
    assert "satisfaction_score" in page and f"{bad['source_file']} at {bad['position']}" in page
    # Every script and style is a local copy: the pages open in a browser without internet.
    from complaints_pipeline.data_docs import external_links

    pages = list(docs.rglob("*.html"))
    assert len(pages) > 4 * len(days) * 2
    assert {page.name: external_links(page) for page in pages if external_links(page)} == {}
    for page in (docs / "index.html", *list((docs / "validations").rglob("*.html"))[:3]):
        html = page.read_text(encoding="utf-8")
        for asset in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html):
            assert (page.parent / asset).resolve().is_file(), (page, asset)


def test_nothing_published_holds_an_identity_from_the_landed_files(
    after_normal_day: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The privacy scanner (as `make privacy-scan` runs it) over the marts, the snapshot and its Parquet
    files, the alert emails, the Data Docs pages and the logs, after every run of this module."""
    from complaints_pipeline import privacy_scan
    from complaints_pipeline.config import load_settings

    monkeypatch.setenv("COMPLAINTS_HOME", str(after_normal_day.home))
    monkeypatch.setenv("COMPLAINTS_LANDING_DIR", str(after_normal_day.landing))
    settings = load_settings()
    identities = privacy_scan.landed_identities(settings.landing_dir)
    # Names, addresses, handles and numbers of every channel's senders were read from the landed files.
    assert min(len(identities.names), len(identities.emails), len(identities.handles), len(identities.numbers)) > 100
    report = privacy_scan.scan(settings, identities)
    assert report.scanned["rows"] > 10_000 and report.scanned["files"] > 100
    assert dict(report.findings) == {}
    # The scanner finds what it looks for: in the landed mail itself, the senders' names and addresses.
    landed = Path(after_normal_day.landing / "email").rglob("*.eml")
    canary = privacy_scan.Report()
    for path in list(landed)[:20]:
        canary.check(path.name, path.read_text(encoding="utf-8", errors="replace"), identities)
    assert {kind for _, kind in canary.findings} >= {"name", "email address"}


def test_the_run_report_draws_every_chart_from_the_marts_offline(after_normal_day: Pipeline) -> None:
    """The report the run wrote, opened in headless Chromium with networking off: every chart drew one mark per
    row of the mart it shows, in display names; nothing on the page loads from outside."""
    from complaints_pipeline import data_docs

    reports = after_normal_day.home / "published" / "reports"
    latest = reports / "latest.html"
    runs = sorted(reports.glob("report-manual__*.html"))
    assert len(runs) >= 2 and latest.read_bytes() == max(runs, key=lambda p: p.stat().st_mtime).read_bytes()
    assert data_docs.external_links(latest) == []
    dom = chromium(latest, width=1200, height=4400, screenshot="report.png")
    assert re.search(r'<body[^>]*data-charts="drawn"', dom), re.search(r"<body[^>]*>", dom).group(0)
    q = after_normal_day.query
    [(rated,)] = q(
        "select count(timely_handling_rate) from marts.complaint_kpis_daily"
        " where dimension_name in ('total', 'channel')"
    )
    assert drawn_marks(dom, "kpi-daily-timely_handling_rate", "kpi_points") == rated
    [(months,)] = q(
        "select count(satisfaction_rate) from marts.complaint_kpis_monthly where dimension_name in ('total', 'channel')"
    )
    assert drawn_marks(dom, "kpi-monthly-satisfaction_rate", "monthly_bars") == months
    [(causes,)] = q(
        "select count(*) from marts.complaint_root_causes_weekly"
        " where week_start_date = (select max(week_start_date) from marts.complaint_root_causes_weekly)"
    )
    assert drawn_marks(dom, "pareto-causes", "pareto_bars") == causes
    [(days, surges)] = q(
        "select count(*), count(surge_level) from marts.complaint_surges_daily where dimension_name = 'total'"
    )
    assert drawn_marks(dom, "volume", "volume_points") == days
    assert drawn_marks(dom, "volume", "surge_points") == surges
    [(scored_days,)] = q("select count(*) from marts.complaint_sentiment_daily where dimension_name = 'total'")
    assert scored_days > 0 and drawn_marks(dom, "sentiment", "volume_points") == scored_days
    [(weeks,)] = q("select count(distinct week_start_date) from marts.complaint_costs_weekly")
    assert weeks > 0 and drawn_marks(dom, "costs", "cost_bars") == 5 * weeks  # five stages a week
    [(backlog_days,)] = q("select count(distinct backlog_date) from marts.complaint_backlog_daily")
    assert drawn_marks(dom, "backlog", "backlog_bars") == 4 * backlog_days  # four ages a day
    [(loads,)] = q("select count(*) from marts.channel_loads_daily")
    assert drawn_marks(dom, "loads", "load_bars") == loads
    shown = shown_text(dom)
    assert "Billing dispute" in shown and "billing_dispute" not in shown  # words, not codes
    assert "Timely handling" in shown and "timely_handling_rate" not in shown


def test_the_published_marts_read_well_in_a_bi_tool(after_normal_day: Pipeline) -> None:
    """Counts as 64-bit integers (a BI tool maps DuckDB's 128-bit HUGEINT to text or float), every table and
    column of the snapshot described (the dbt yml, through persist_docs), each table's grain stated."""
    snapshot = after_normal_day.home / "published" / "complaints_marts.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        huge = con.execute(
            "select table_name || '.' || column_name from duckdb_columns()"
            " where schema_name = 'marts' and data_type in ('HUGEINT', 'UHUGEINT')"
        ).fetchall()
        undescribed = con.execute(
            "select table_name || '.' || column_name from duckdb_columns() where schema_name = 'marts'"
            " and table_name <> 'snapshot_info' and coalesce(comment, '') = ''"
        ).fetchall()
        tables = con.execute(
            "select table_name, comment from duckdb_tables()"
            " where schema_name = 'marts' and table_name <> 'snapshot_info'"
        ).fetchall()
    assert huge == []
    assert undescribed == []
    assert {name for name, _ in tables} == set(MARTS)  # every mart the daily run builds, and nothing else
    assert [name for name, comment in tables if "Grain: one row per" not in (comment or "")] == []


def test_the_superset_datasets_read_the_published_snapshot(after_normal_day: Pipeline) -> None:
    """Each dataset of the dashboards as code (deploy/superset/dashboards) has exactly its mart's columns, with
    their types, and each of its metrics runs on the snapshot the compose stack's Superset reads."""
    import yaml

    bundle = REPO_ROOT / "deploy" / "superset" / "dashboards" / "datasets" / "complaint_marts"
    snapshot = after_normal_day.home / "published" / "complaints_marts.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for path in sorted(bundle.glob("*.yaml")):
            dataset = yaml.safe_load(path.read_text(encoding="utf-8"))
            table = dataset["table_name"]
            columns = con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = 'marts' and table_name = ?",
                [table],
            ).fetchall()
            assert {c["column_name"]: c["type"] for c in dataset["columns"]} == dict(columns), path.name
            for metric in dataset["metrics"]:
                [(value,)] = con.execute(f"select {metric['expression']} from marts.{table}").fetchall()
                assert value is not None, f"{path.name}: {metric['metric_name']}"
            [(total,)] = con.execute(
                f"select sum({'actual_count' if table == 'complaint_surges_daily' else 'complaint_count'})"
                f" from marts.{table}"
            ).fetchall()
            complaints = next(m for m in dataset["metrics"] if m["metric_name"] == "complaints")
            assert con.execute(f"select {complaints['expression']} from marts.{table}").fetchall() == [(total,)]


# ---------------------------------------------------------------- within the day, under a real scheduler

REPLAY_DAY = SURGE_DAY + dt.timedelta(days=1)  # a Wednesday: three Wednesdays of history to learn its hours from


@pytest.fixture(scope="module")
def replay(after_history: Pipeline) -> str:
    """The day after the surge day replayed into complaints_intraday under a real scheduler (LocalExecutor, this
    installation's SQLite metadata), then complaints_daily, by benchmarks/intraday_replay.py at a small size (its
    tiny run), on the history loaded here: web forms come in at eight times their rate from 09:00, and a web form
    naming a fire is submitted at 09:03. The runs end 09:00 to 09:30, and one after midnight. Last in the module:
    it loads the day. The script checks (--check) and prints what is asserted below."""
    home = after_history.home
    args = ["--home", str(home), "--reuse", "--per-day", str(PER_DAY), "--day", REPLAY_DAY.isoformat()]
    args += ["--first", "08:50", "--last", "09:20", "--surge", "channel:web:8.0@09:00", "--critical-at", "09:03"]
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "intraday_replay.py"), *args, "--check"],
        cwd=REPO_ROOT,
        env={**after_history.env, "COMPLAINTS_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, f"the replay failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def test_the_intraday_replay_runs_each_interval_and_skips_when_nothing_landed(replay: str) -> None:
    assert f"5 intraday runs (08:50 to {REPLAY_DAY + dt.timedelta(days=1)} 00:00)" in replay
    assert "runs with no new file: 1," in replay  # the one after midnight: the short circuit
    assert "runs with new files: 4," in replay
    assert f"daily run of {REPLAY_DAY}: success" in replay
    assert "FAILED" not in replay


def test_the_intraday_surge_is_alerted_within_the_bound_once_per_level_and_not_again_daily(replay: str) -> None:
    delay = float(re.search(r"= ([\d.]+) min \(aim: within 30\)", replay).group(1))
    assert delay <= 30
    first = re.search(r"first alert: '(.*)'", replay).group(1)
    assert re.fullmatch(rf"\[complaints\] (Warning|Critical) surge on {REPLAY_DAY} by 09:[0-3]0: .*", first)
    naming = re.search(r"emails naming it: (\d+) \(([\w, ]+)\): (\d+) intraday, (\d+) daily", replay)
    levels = naming.group(2).split(", ")
    assert len(levels) == len(set(levels)) == int(naming.group(1))  # each level once (a warning, then critical)
    assert int(naming.group(3)) >= 1 and int(naming.group(4)) == 0  # the daily run does not repeat it


def test_a_critical_complaint_is_emailed_once_by_the_intraday_run_that_loads_it(replay: str) -> None:
    reference = f"WB-S{REPLAY_DAY:%Y%m%d}9999999"
    assert re.search(rf"critical complaint {reference}: landed 09:0\d; emailed once, by the run ending", replay)
    assert re.search(r"09:10 \(which loaded it\): yes", replay)
