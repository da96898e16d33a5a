"""The benchmarks' long history (benchmarks/scratch.py copy_back): copies of a loaded day, which age as
complaints do, so that a history's complaints close as real ones do instead of staying open in every copy.

The rule, from scratch.py: a complaint whose last version is unresolved (and is no backlog complaint, one in 20
by a hash of its id) is resolved d = 1 + hash(id) % 7 days after that version, by a version landing that day,
where the day precedes the new day. d and the backlog draw are DuckDB's hash of the id, so the test picks ids by
them; everything else below is counted by hand.
"""

from __future__ import annotations

import datetime as dt
import sys

import duckdb
import pytest
from helpers import REPO_ROOT, query

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from scratch import copy_back  # noqa: E402

from complaints_pipeline.config import load_settings  # noqa: E402
from complaints_pipeline.warehouse import Connection, ensure_schema  # noqa: E402

LOADED = dt.date(2026, 10, 13)  # the loaded day; the new day is the 14th
EVENING = dt.datetime(2026, 10, 13, 10, 0)  # 18:00 in Shanghai, as UTC


def _pick(prefix: str, days: int, backlog: bool) -> str:
    """The first id prefix+n whose resolution comes `days` after its last version, in the backlog or not."""
    con = duckdb.connect()
    for n in range(10_000):
        found = f"{prefix}{n}"
        d, in_backlog = con.execute(
            "select cast(1 + hash(?) % 7 as integer), hash(? || '~backlog') % 20 = 0", [found, found]
        ).fetchone()
        if d == days and in_backlog == backlog:
            return found
    raise AssertionError(f"no id {prefix}n with d={days}, backlog={backlog}")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    return load_settings()


def _load(settings, rows: list[tuple]) -> None:
    """The loaded day's raw versions (channel, id, status, answered, resolved, kind), and its reconciliation."""
    with Connection(settings) as con:
        ensure_schema(con, ["phone", "email", "web", "social"])
        for channel, complaint_id, status, answered, resolved, kind in rows:
            con.execute(
                f"insert into raw.{channel}_complaints (complaint_id, source_record_id, channel, received_at, status,"
                " first_response_at, resolved_at, complaint_text, source_file, source_position, partition_date,"
                " version_at, version_kind) values (?, ?, ?, ?, ?, ?, ?, 'my order never came', ?, '1', ?, ?, ?)",
                [complaint_id, complaint_id, channel, EVENING - dt.timedelta(hours=8), status, answered, resolved]
                + [f"{channel}.txt", LOADED, EVENING, kind],
            )
        for channel in ("phone", "web"):
            con.execute(
                "insert into raw.load_reconciliation (channel, partition_date, files, records_in, loaded,"
                " quarantined, skipped) values (?, ?, 1, 10, 10, 0, 0)",
                [channel, LOADED],
            )


def test_the_copies_close_their_complaints_as_the_days_pass(settings) -> None:
    soon, later = _pick("P", 1, False), _pick("P", 3, False)
    backlog, form = _pick("P", 2, True), _pick("W", 1, False)
    answered = EVENING - dt.timedelta(hours=2)
    _load(
        settings,
        [
            ("phone", soon, "open", None, None, "snapshot"),
            ("phone", later, "in_progress", answered, None, "snapshot"),
            ("phone", backlog, "open", None, None, "snapshot"),
            ("phone", "done", "resolved", answered, EVENING, "snapshot"),
            ("web", form, "open", None, None, "snapshot"),
            ("email", "mail", None, None, None, "snapshot"),  # no case status: its clocks do not run
            ("social", "post", None, None, None, "snapshot"),
        ],
    )

    # Four days: the loaded one and three copies (k = 1, 2, 3 days back, landing on the 12th, 11th and 10th).
    held = copy_back(settings, [LOADED], 4)

    # 7 loaded rows, 3 copies of each, and the resolutions: `soon` (d = 1) in each copy, landing the day after
    # it; `later` (d = 3) only in the copy three days back, landing on the 13th; the form as `soon`; none for
    # the backlog, the resolved ticket, the mail and the post (no status), or the loaded day itself (its next day is
    # the new day, whose files the run loads).
    assert held == 7 * 4 + 3 + 1 + 3
    resolutions = query(
        settings,
        "select complaint_id, partition_date, version_at, first_response_at, resolved_at, status, version_kind,"
        " complaint_text, received_at from raw.phone_complaints where source_file = 'phone.txt~resolved'"
        " union all select complaint_id, partition_date, version_at, first_response_at, resolved_at, status,"
        " version_kind, complaint_text, received_at from raw.web_complaints where source_file like '%~resolved'"
        " order by 1",
    )
    day = dt.timedelta(days=1)
    expected = [
        # A copy k days back whose last version was at EVENING - k days: resolved d days after it.
        (f"{soon}~1", dt.date(2026, 10, 13), EVENING, EVENING, EVENING, "resolved", "snapshot"),
        (f"{soon}~2", dt.date(2026, 10, 12), EVENING - day, EVENING - day, EVENING - day, "resolved", "snapshot"),
        (f"{soon}~3", dt.date(2026, 10, 11), EVENING - 2 * day, EVENING - 2 * day, EVENING - 2 * day)
        + ("resolved", "snapshot"),
        # answered before: the answer's time stays (shifted with its copy)
        (f"{later}~3", dt.date(2026, 10, 13), EVENING, answered - 3 * day, EVENING, "resolved", "snapshot"),
        # from the web form: a status event, without the customer's text
        (f"{form}~1", dt.date(2026, 10, 13), EVENING, EVENING, EVENING, "resolved", "event"),
        (f"{form}~2", dt.date(2026, 10, 12), EVENING - day, EVENING - day, EVENING - day, "resolved", "event"),
        (f"{form}~3", dt.date(2026, 10, 11), EVENING - 2 * day, EVENING - 2 * day, EVENING - 2 * day)
        + ("resolved", "event"),
    ]
    assert [row[:7] for row in resolutions] == sorted(expected)
    texts = {row[0]: row[7] for row in resolutions}
    assert texts[f"{soon}~2"] == "my order never came" and texts[f"{form}~2"] is None
    received = {row[0]: row[8] for row in resolutions}
    assert received[f"{later}~3"] == EVENING - dt.timedelta(hours=8) - 3 * day  # shifted with its copy

    # The days they landed on say so: the phone's 13th gained two records, its 12th and 11th one each.
    loads = query(
        settings,
        "select channel, partition_date, records_in, loaded from raw.load_reconciliation order by 1, 2",
    )
    assert loads == [
        ("phone", dt.date(2026, 10, 10), 10, 10),
        ("phone", dt.date(2026, 10, 11), 11, 11),
        ("phone", dt.date(2026, 10, 12), 11, 11),
        ("phone", dt.date(2026, 10, 13), 12, 12),
        ("web", dt.date(2026, 10, 10), 10, 10),
        ("web", dt.date(2026, 10, 11), 11, 11),
        ("web", dt.date(2026, 10, 12), 11, 11),
        ("web", dt.date(2026, 10, 13), 11, 11),
    ]


def test_without_ageing_the_copies_are_copies(settings) -> None:
    _load(settings, [("phone", _pick("P", 1, False), "open", None, None, "snapshot")])
    assert copy_back(settings, [LOADED], 4, aged=False) == 4
