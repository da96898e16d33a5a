"""Real CFPB exports (tests/fixtures/real/cfpb, SOURCES.md says where each came from) through the stages and
dbt, as a user lands them in the web channel: the 2014 layout (14 columns) and the 18-column layouts of
2016, 2020 and 2023, then an overlapping re-export.

Ground truth, by rules written before the pipeline ran on these files (read from the CSV with the csv module):
- every row is loaded, quarantined or skipped, none lost and none counted twice;
- a loaded row's business date is its "Date received" (MM/DD/YYYY or YYYY-MM-DD);
- its channel is its "Submitted via": Web and Referral -> web, Phone -> phone, Postal mail, Fax, Email -> email;
- "Closed..." is resolved, "In progress" and "Untimely response" are not;
- a re-export repeating a complaint unchanged is skipped; one whose response changed is a new version.
The 2020 pair of real exports shares 43 complaints, all unchanged. No real pair shows a complaint closing,
so the second landing also carries the 2020 file's "In progress" rows with only their response set to
"Closed with explanation" (made by the test, named as such).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from helpers import REPO_ROOT, chromium, drawn_marks, query, shown_text
from homes import settings_in

from complaints_pipeline import ingest, loader, transform
from complaints_pipeline.sources.base import export_time

pytestmark = pytest.mark.e2e

REAL = REPO_ROOT / "tests" / "fixtures" / "real" / "cfpb"
FIRST = dt.date(2026, 10, 12)
SECOND = FIRST + dt.timedelta(days=1)
LANDINGS = {
    FIRST: ["cfpb_2014_era.csv", "cfpb_2020_era.csv", "cfpb_2023_era.csv"],
    SECOND: ["cfpb_2016_era.csv", "cfpb_2020_era_later_snapshot.csv"],
}
CHANNEL_OF = {
    "web": "web",
    "referral": "web",
    "phone": "phone",
    "postal mail": "email",
    "fax": "email",
    "email": "email",
}
PREFIX = {"web": "WB", "phone": "PH", "email": "EM"}


def _rows(name: str) -> list[dict[str, str]]:
    with (REAL / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _received(row: dict[str, str]) -> dt.date:
    text = row["Date received"]
    return dt.date.fromisoformat(text) if "-" in text else dt.datetime.strptime(text, "%m/%d/%Y").date()


def _closed_later() -> tuple[str, list[dict[str, str]]]:
    """The 2020 export's "In progress" rows, each now "Closed with explanation" (only that field changed)."""
    rows = [r for r in _rows("cfpb_2020_era.csv") if r["Company response to consumer"] == "In progress"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "Company response to consumer": "Closed with explanation"})
    return buffer.getvalue(), rows


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("cfpb")
    # A US regulator's complaints: US public holidays, Eastern time.
    with settings_in(home, holiday_country="US", local_tz="America/New_York") as settings:
        for day, names in LANDINGS.items():
            folder = settings.landing_dir / "web" / day.isoformat()
            folder.mkdir(parents=True)
            for name in names:
                (folder / name).write_bytes((REAL / name).read_bytes())
        text, closing = _closed_later()
        (settings.landing_dir / "web" / SECOND.isoformat() / "cfpb_2020_closed_later_made_by_test.csv").write_text(text)
        ingest.extract("web", [FIRST, SECOND], settings)
        results = {(r["partition_date"]): r for r in loader.load(["web"], [FIRST, SECOND], settings)}
        transform.build(settings)
        yield settings, results, closing


def test_every_row_is_loaded_quarantined_or_skipped_and_none_twice(landed) -> None:
    settings, results, closing = landed
    for day, names in LANDINGS.items():
        rows = sum(len(_rows(name)) for name in names) + (len(closing) if day == SECOND else 0)
        result = results[day.isoformat()]
        assert rows == result["loaded"] + result["quarantined"] + result["skipped"], (day, result)
    # Nothing of the real files is quarantined: each format and date style is read.
    assert query(settings, "select count(*) from raw.quarantine") == [(0,)]
    # The 43 complaints both 2020 exports hold, unchanged, are skipped once, naming the first landing.
    first_ids = {r["Complaint ID"] for r in _rows("cfpb_2020_era.csv")}
    shared = {r["Complaint ID"] for r in _rows("cfpb_2020_era_later_snapshot.csv")} & first_ids
    assert len(shared) == 43
    skipped = query(settings, "select related_complaint_id, reason from raw.skipped where partition_date = ?", [SECOND])
    assert {s.split("CFPB")[1] for s, _ in skipped} == shared
    assert all(f"already loaded for {FIRST}" in reason for _, reason in skipped)
    # The closing rows are updates of complaints loaded the day before.
    assert results[SECOND.isoformat()]["updates"] == len(closing)


def test_each_complaint_is_dated_on_its_date_received_and_filed_under_its_channel(landed) -> None:
    settings, _, _ = landed
    expected = {}
    for names in LANDINGS.values():
        for name in names:
            for row in _rows(name):
                channel = CHANNEL_OF[row["Submitted via"].lower()]
                expected[f"{PREFIX[channel]}-CFPB{row['Complaint ID']}"] = (channel, _received(row))
    marts = dict(
        (complaint_id, (channel, day))
        for complaint_id, channel, day in query(
            settings, "select complaint_id, channel, complaint_date from marts.complaints"
        )
    )
    assert marts == expected
    # 12 years of complaints are not one day: the KPI mart counts them on their own dates.
    days = query(settings, "select count(distinct complaint_date) from marts.complaint_kpis_daily")
    assert days[0][0] >= len({d for _, d in expected.values()})


def test_the_calendar_covers_every_year_loaded_with_its_holidays_and_clocks(landed) -> None:
    """Complaints from 2012 to 2023 and landings in 2026: the calendar spans whole years from the first to the
    year after the last, with US holidays, so every complaint's service-level clocks run."""
    settings, _, _ = landed
    assert query(settings, "select min(date_day), max(date_day), count(*) from marts.dates") == [
        (dt.date(2012, 1, 1), dt.date(2027, 12, 31), (dt.date(2028, 1, 1) - dt.date(2012, 1, 1)).days)
    ]
    holidays = dict(query(settings, "select date_day, holiday_name from marts.dates where is_holiday"))
    assert holidays[dt.date(2014, 11, 11)] == "Veterans Day"
    assert holidays[dt.date(2016, 9, 5)] == "Labor Day"
    assert dt.date(2016, 10, 1) not in holidays  # China's National Day is no US holiday
    # 2014-11-11 (Veterans Day, a Tuesday) is no working day: a complaint received that day starts its clock
    # on Wednesday morning.
    assert query(settings, "select is_working_day from marts.dates where date_day = '2014-11-11'") == [(False,)]
    missing = query(
        settings,
        "select count(*) from marts.complaints"
        " where resolution_due_at is null or (is_resolved and is_resolution_timely is null)",
    )
    assert missing == [(0,)]


def test_closed_responses_are_resolved_and_a_later_export_closes_what_was_in_progress(landed) -> None:
    settings, _, closing = landed
    rows = query(
        settings,
        "select complaint_id, status, is_resolved, resolved_at, version_count from marts.complaints",
    )
    by_id = {r[0].split("-", 1)[1]: r for r in rows}
    closed_later = {f"CFPB{r['Complaint ID']}" for r in closing}
    latest = {}
    for names in LANDINGS.values():
        for name in names:
            for row in _rows(name):
                latest[f"CFPB{row['Complaint ID']}"] = (
                    row.get("Company response to consumer") or row["Company response"]
                )
    for source_id, response in latest.items():
        _, status, resolved, resolved_at, versions = by_id[source_id]
        if source_id in closed_later:
            # Resolved as of the first export that showed it closed: the end of the second landing date.
            assert (status, resolved, versions) == ("closed", True, 2), source_id
            assert resolved_at == export_time(SECOND, settings.local_tz)
        elif response.startswith("Closed"):
            assert (status, resolved) == ("closed", True), source_id
        else:
            assert not resolved and status in {"in_progress", "open"}, (source_id, response)


def test_a_calendar_widened_past_the_years_loaded_fails_the_build_saying_which_years(landed) -> None:
    """calendar_end set to 2030: the loader wrote holidays up to 2027, so the build stops at the test, which
    names the years without holidays, instead of treating their holidays as working days."""
    settings, _, _ = landed
    with pytest.raises(RuntimeError, match="calendar_covers_the_data"):
        transform.run_dbt(
            settings, "build", "--select", "dates", "calendar_covers_the_data", "--vars", "{calendar_end: 2030-12-31}"
        )
    problems = [p for (p,) in query(settings, "select problem from audit.calendar_covers_the_data order by 1")]
    assert problems == [
        f"the calendar's year {year} has no public holidays of US in raw.public_holidays"
        " (the loader writes those of the years it loads)"
        for year in (2028, 2029, 2030)
    ]
    transform.run_dbt(settings, "build", "--select", "dates", "calendar_covers_the_data")


def test_the_report_draws_the_real_exports_in_words(landed) -> None:
    """The run report over real CFPB exports (rule written before running it: every product family of the
    latest week's Pareto is offered under its display name, and no product code is shown; every chart of a
    section with data is drawn, offline)."""
    from complaints_pipeline import report, snapshot

    settings, _, _ = landed
    snapshot.publish(settings, [FIRST, SECOND], run_id="real_cfpb")  # the monthly mart not built: no months shown
    page = report.write(settings, run_id="real_cfpb")
    dom = chromium(page, width=1200, height=3200)
    assert re.search(r'<body[^>]*data-charts="drawn"', dom), re.search(r"<body[^>]*>", dom).group(0)
    products = [p for (p,) in query(
        settings,
        "select distinct scope_value from marts.complaint_category_pareto_weekly where scope_name = 'product'"
        " and week_start_date = (select max(week_start_date) from marts.complaint_category_pareto_weekly)",
    )]  # fmt: skip
    with (REPO_ROOT / "dbt_project" / "seeds" / "code_display_names.csv").open(encoding="utf-8") as handle:
        names = {r["code"]: r["label_en"] for r in csv.DictReader(handle) if r["kind"] == "product"}
    assert products and set(products) <= set(names)
    shown = shown_text(dom)
    for product in products:
        assert f"Product: {names[product]}" in shown
        assert product not in shown or product == names[product].lower()
    [(weeks,)] = query(
        settings,
        "select count(*) from marts.complaint_root_causes_weekly"
        " where week_start_date = (select max(week_start_date) from marts.complaint_root_causes_weekly)",
    )
    assert drawn_marks(dom, "pareto-causes", "pareto_bars") == weeks
    assert "kpi-monthly-" not in dom and "kpi-daily-timely_handling_rate" in dom
