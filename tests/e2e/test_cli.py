"""The operator's guide, as a newcomer follows it, with `complaints` commands only, in the default mode.

Each command runs as the installed `complaints` (make setup puts it in the virtualenv) against its own
COMPLAINTS_HOME: Airflow's SQLite metadata prepared on first use, runs through `airflow dags test` (no
scheduler), mail to the loopback sink the command starts itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from helpers import shown_text
from records import garble_satisfaction
from services import complaints_cli, docs_page

from complaints_pipeline.smtp_sink import free_port

pytestmark = pytest.mark.e2e

FIRST = dt.date(2026, 8, 3)  # a Monday
BROKEN = FIRST + dt.timedelta(days=1)  # its call-centre export garbled: the phone day is blocked
PER_DAY = 150


class Operator:
    export: Path  # BROKEN's garbled call-centre export, as landed
    fixed: Path  # the same export as it should have been
    garbled: int  # its rows, the header included

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "COMPLAINTS_HOME": str(home),
            "AIRFLOW_HOME": str(home / "airflow"),
            "COMPLAINTS_SMTP_PORT": str(free_port()),
            "COMPLAINTS_RETRY_DELAY_SECONDS": "1",
            "COLUMNS": "200",  # rich's tables as wide as a terminal's
        }
        self.env.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)

    def __call__(self, *args: str, fails: bool = False) -> str:
        return complaints_cli(self.env, *args, fails=fails)

    def mails(self) -> list[Path]:
        return sorted((self.home / "mail").glob("*.eml"))

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse" / "complaints.duckdb"), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def operator(tmp_path_factory: pytest.TempPathFactory) -> Operator:
    run = Operator(tmp_path_factory.mktemp("operator"))
    assert "records written" in run("generate", str(FIRST), str(BROKEN), "--per-day", str(PER_DAY), "--seed", "5")
    # The export system garbles every other call's satisfaction in BROKEN's call-centre export; the operator
    # has the export as it should have been (kept aside, replayed once the day is found blocked).
    (run.export,) = (run.home / "landing" / "phone" / BROKEN.isoformat()).glob("*.csv")
    run.fixed = run.home / "fixed" / run.export.name
    run.fixed.parent.mkdir()
    shutil.copy2(run.export, run.fixed)
    run.garbled = len(garble_satisfaction(run.export))
    return run


def test_a_backfill_runs_day_by_day_goes_on_after_a_failed_day_and_loads_every_good_record_once(
    operator: Operator,
) -> None:
    output = operator("backfill", str(FIRST), str(BROKEN), fails=True)
    assert f"run 1/2 {FIRST}: succeeded" in output and f"run 2/2 {BROKEN}: failed" in output
    assert f"1 of 2 runs failed: run 2/2 {BROKEN}" in output
    loaded = dict(
        ((channel, day), records)
        for channel, day, records in operator.query(
            "select channel, partition_date, loaded from raw.load_reconciliation order by 1, 2"
        )
    )
    for day in (FIRST, BROKEN):
        truth = json.loads((operator.home / "landing" / "_ground_truth" / f"{day}.json").read_text())["counts"]
        for channel, counts in truth.items():
            if (channel, day) == ("phone", BROKEN):
                continue  # blocked: the next test
            # every record the generator wrote, but the bad ones and the non-complaints: new complaints and updates
            assert loaded[(channel, day)] == counts["generated"] - counts["bad"] - counts["skipped"], (channel, day)
    phone = operator.query("select count(*), count(distinct (complaint_id, version_at)) from raw.phone_complaints")
    assert phone[0][0] == phone[0][1]  # no version twice


def test_status_says_why_a_channel_was_blocked_and_a_fixed_file_is_replayed(operator: Operator, tmp_path: Path) -> None:
    export, rows = operator.export, operator.garbled
    status = operator("status", str(BROKEN))
    assert f"phone {BROKEN} BLOCKED: " in status
    assert "too large a share of the day's records was quarantined" in status
    assert f"complaints quarantine show phone {BROKEN}" in status
    assert "check_run" in status  # the on-call notice, recorded whatever the relay did
    _the_other_channels_loaded_and_the_on_call_was_told_once(operator, rows)

    listed = operator("quarantine", "list", "--date", str(BROKEN), "--channel", "phone")
    assert export.name in listed
    exported = tmp_path / "bad.csv"
    told = operator("quarantine", "export", "phone", str(BROKEN), "--to", str(exported))
    with exported.open(encoding="utf-8") as handle:
        bad = list(csv.DictReader(handle))
    assert f"{len(bad):,} quarantined records written" in told and len(bad) >= (rows - 1) // 2
    garbled = [r for r in bad if r["failing_column"] == "satisfaction" and r["failing_value"] == "n/a"]
    assert len(garbled) == (rows - 1 + 1) // 2  # every other call; the rest are the generator's own

    output = operator("quarantine", "replay", str(operator.fixed), "--channel", "phone", "--date", str(BROKEN))
    assert f"run 1/1 {BROKEN}: succeeded" in output
    (gate,) = operator.query(
        "select gate from raw.load_reconciliation where channel = 'phone' and partition_date = ?", [BROKEN]
    )
    assert gate == ("passed",)
    assert list((operator.home / "replaced" / "phone" / BROKEN.isoformat()).glob(f"*-{export.name}"))


def _the_other_channels_loaded_and_the_on_call_was_told_once(operator: Operator, rows: int) -> None:
    gates = dict(operator.query("select channel, gate from raw.load_reconciliation where partition_date = ?", [BROKEN]))
    assert gates == {"phone": "blocked", "email": "passed", "web": "passed", "social": "passed"}
    assert operator.query("select count(*) from raw.phone_complaints where partition_date = ?", [BROKEN]) == [(0,)]
    ((quarantined, withheld),) = operator.query(
        "select quarantined, withheld from raw.load_reconciliation where channel = 'phone' and partition_date = ?",
        [BROKEN],
    )
    assert quarantined >= (rows - 1) // 2 and withheld > 0
    kpis = {
        channel: (count, missing)
        for channel, count, missing in operator.query(
            "select dimension_value, complaint_count, is_channel_missing from marts.complaint_kpis_daily "
            "where dimension_name = 'channel' and complaint_date = ?",
            [BROKEN],
        )
    }
    assert kpis["phone"] == (0, True)
    truth = json.loads((operator.home / "landing" / "_ground_truth" / f"{BROKEN}.json").read_text())["counts"]
    for channel in ("email", "web", "social"):
        counts = truth[channel]
        assert kpis[channel] == (counts["generated"] - counts["bad"] - counts["skipped"] - counts["updates"], False)
    # Told once, by the run's last task, naming the channel-day (the data is at fault: no retries).
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in operator.mails()]
    (oncall,) = [m for m in mails if m["To"] == "data-oncall@example.com"]
    assert oncall["Subject"].strip().startswith("[complaints] Task failed: complaints_daily.check_run (")
    told = oncall.get_body(("plain",)).get_content()
    assert f"phone {BROKEN}: blocked by the quality gate" in told
    assert "too large a share of the day's records was quarantined" in told
    # The blocked day's Data Docs page says so: the day suite failed on the quarantined share.
    page = shown_text(docs_page(operator.home, "complaints_day", "phone", BROKEN))
    assert "Status: Failed" in page and "Unsuccessful Expectations 1 " in page
    assert "Must have greater than or equal to" in page  # min_rows_kept, with the day's figure


def test_land_checks_the_format_before_copying(operator: Operator, tmp_path: Path) -> None:
    wrong = tmp_path / "calls.json"
    wrong.write_text("{}")
    output = operator("land", str(wrong), "--channel", "phone", "--date", str(BROKEN), fails=True)
    assert "calls.json: phone reads only *.csv files" in output
    garbage = tmp_path / "posts.json"
    garbage.write_text("{not json")
    output = operator("land", str(garbage), "--channel", "social", "--date", str(BROKEN), fails=True)
    assert "posts.json holds nothing social can read" in output
    assert not (operator.home / "landing" / "social" / BROKEN.isoformat() / "posts.json").exists()
