"""Unit tests of the sample generator: landing formats, determinism, volumes, surges, bad records.

Small volumes and short ranges only; the 1,000,000-a-day run is checked by hand (see the module's CLI).
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import email
import email.policy
import email.utils
import json
import mailbox
import math
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from complaints_pipeline import sample_data as sd
from complaints_pipeline.business_calendar import is_holiday
from complaints_pipeline.reference import CATEGORIES, CHANNELS, STATUSES
from complaints_pipeline.sample_data import model as sd_model
from complaints_pipeline.sample_data import texts as sd_texts

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST, LAST = dt.date(2026, 9, 30), dt.date(2026, 10, 1)  # an ordinary Wednesday, then a holiday
WEDNESDAY = dt.date(2026, 10, 14)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    sd.generate(FIRST, LAST, out, per_day=300, seed=7)
    return out


# --- readers: what a parser would do, kept minimal ------------------------------------------------


def truth(out: Path, day: dt.date) -> dict[str, Any]:
    return json.loads((out / "_ground_truth" / f"{day}.json").read_text(encoding="utf-8"))


def phone_rows(out: Path, day: dt.date) -> list[dict[str, str]]:
    with (out / "phone" / str(day) / f"calls_{day}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def web_lines(out: Path, day: dt.date) -> list[str]:
    return (out / "web" / str(day) / f"submissions_{day}.jsonl").read_text(encoding="utf-8").splitlines()


def status_events(out: Path, day: dt.date) -> list[dict[str, Any]]:
    path = out / "web" / str(day) / f"status_events_{day}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def emails(out: Path, day: dt.date) -> dict[str, EmailMessage]:
    """Messages keyed by ground-truth position: the .eml file name or the 1-based mbox number."""
    folder = out / "email" / str(day)
    boxes = list(folder.glob("*.mbox"))
    if boxes:
        box = mailbox.mbox(boxes[0], create=False)
        return {
            str(n): email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
            for n, key in enumerate(box.keys(), start=1)
        }
    return {
        path.name: email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in folder.glob("*.eml")
    }


def posts(out: Path, day: dt.date) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Posts keyed by 'page:index', each with its page's users by id."""
    found = {}
    for path in (out / "social" / str(day)).glob("*.json"):
        page = json.loads(path.read_text(encoding="utf-8"))
        number = int(path.stem.rsplit("_", 1)[1])
        users = {u["id"]: u for u in page["includes"]["users"]}
        assert page["meta"]["result_count"] == len(page["data"])
        for index, post in enumerate(page["data"], start=1):
            found[f"{number}:{index}"] = (post, users)
    return found


def email_text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain", "html"))
    text = part.get_content() if part is not None else ""
    return re.sub(r"<[^>]+>", "", text) if part is not None and part.get_content_subtype() == "html" else text


def bad_positions(out: Path, day: dt.date, channel: str) -> dict[str, str]:
    return {b["position"]: b["kind"] for b in truth(out, day)["bad_records"] if b["channel"] == channel}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def categories_in(text: str) -> set[str]:
    low = text.lower()
    return {
        category
        for category, words in sd.CATEGORY_KEYWORDS.items()
        if any(word.lower() in low for word in words["en"] + words["zh"])
    }


# --- determinism ----------------------------------------------------------------------------------


def test_same_arguments_write_byte_identical_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        sd.generate(FIRST, LAST, tmp_path / name, per_day=150, seed=3)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_a_days_new_complaints_are_the_same_whatever_range_it_is_generated_in(tmp_path: Path) -> None:
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path / "alone", per_day=150)
    sd.generate(WEDNESDAY - dt.timedelta(days=2), WEDNESDAY + dt.timedelta(days=1), tmp_path / "range", per_day=150)
    # Inside the range the day's files also hold that day's changes to the two days before.
    assert web_lines(tmp_path / "alone", WEDNESDAY) == web_lines(tmp_path / "range", WEDNESDAY)
    own = f"CC{WEDNESDAY:%Y%m%d}"
    alone, inside = (
        [row for row in phone_rows(tmp_path / name, WEDNESDAY) if row["ticket_no"].startswith(own)]
        for name in ("alone", "range")
    )
    assert len(alone) > 30 and alone == inside
    earlier = [row for row in phone_rows(tmp_path / "range", WEDNESDAY) if not row["ticket_no"].startswith(own)]
    assert earlier and all(row["updated_at"].startswith(str(WEDNESDAY)) for row in earlier)


def test_another_seed_writes_other_files(tmp_path: Path) -> None:
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path / "a", per_day=100, seed=1)
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path / "b", per_day=100, seed=2)
    assert tree(tmp_path / "a") != tree(tmp_path / "b")


def test_rerun_removes_stale_files(tmp_path: Path) -> None:
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path, per_day=100)
    stale = tmp_path / "email" / str(WEDNESDAY) / "99999.eml"
    stale.write_bytes(b"old")
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path, per_day=100)
    assert not stale.exists()


# --- formats --------------------------------------------------------------------------------------


def test_phone_csv_has_bom_header_and_parses(landing: Path) -> None:
    path = landing / "phone" / str(FIRST) / f"calls_{FIRST}.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == sd.PHONE_HEADER
    assert all(len(row) == len(sd.PHONE_HEADER) for row in rows[1:])
    notes = sd.PHONE_HEADER.index("notes")
    assert any("\n" in row[notes] for row in rows[1:]) and any('"' in row[notes] for row in rows[1:])
    assert len(rows) - 1 == truth(landing, FIRST)["counts"]["phone"]["generated"]


def test_gbk_email_round_trips_with_a_chinese_subject(landing: Path) -> None:
    folder = landing / "email" / str(FIRST)
    raw = next(p.read_bytes() for p in sorted(folder.glob("*.eml")) if b"Subject: =?gbk?" in p.read_bytes())
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert re.search(r"[\u4e00-\u9fff]", msg["Subject"])
    body = msg.get_body(("plain", "html"))
    assert body.get_content_charset() == "gbk"
    assert re.search(r"Product: \w+\nRegion: \w+\nAccount: AC\d{8}\n", body.get_content())


def test_emails_mix_layouts_and_charsets(landing: Path) -> None:
    messages = [m for day in (FIRST, LAST) for m in emails(landing, day).values()]
    types = {m.get_content_type() for m in messages}
    charsets = {p.get_content_charset() for m in messages for p in m.walk() if not p.is_multipart()}
    assert {"text/plain", "multipart/alternative", "text/html"} <= types
    assert {"utf-8", "gbk", "gb18030"} <= charsets | {"us-ascii"}
    assert all(m["Message-ID"] and m["From"] and m["To"] and m["Subject"] for m in messages)


def test_web_line_count_equals_generated(landing: Path) -> None:
    for day in (FIRST, LAST):
        assert (
            len(web_lines(landing, day)) + len(status_events(landing, day))
            == truth(landing, day)["counts"]["web"]["generated"]
        )


def test_social_pages_hold_at_most_a_page_and_every_author(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sd.social, "SOCIAL_PAGE_SIZE", 7)
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path, per_day=300)
    paths = (tmp_path / "social" / str(WEDNESDAY)).glob("*.json")
    pages = sorted(paths, key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    assert len(pages) > 2
    assert [p.name for p in pages] == [f"posts_{WEDNESDAY}_{n}.json" for n in range(1, len(pages) + 1)]
    for path in pages:
        page = json.loads(path.read_text(encoding="utf-8"))
        assert 0 < len(page["data"]) <= 7
        assert {p["author_id"] for p in page["data"]} == {u["id"] for u in page["includes"]["users"]}
        assert ("next_token" in page["meta"]) == (path != pages[-1])


def test_mbox_above_the_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sd.mail, "MBOX_THRESHOLD", 10)
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path, per_day=200)
    folder = tmp_path / "email" / str(WEDNESDAY)
    assert [p.name for p in folder.iterdir()] == [f"mailbox_{WEDNESDAY}.mbox"]
    messages = emails(tmp_path, WEDNESDAY)
    assert len(messages) == truth(tmp_path, WEDNESDAY)["counts"]["email"]["generated"]
    for position, kind in bad_positions(tmp_path, WEDNESDAY, "email").items():
        assert (messages[position]["Date"] is None) == (kind == "missing_date")


def test_received_times_fall_on_the_local_day(landing: Path) -> None:
    local_day: dict[str, list[str]] = {"web": [], "email": [], "social": []}
    local_day["phone"] = [r["call_start"][:10] for r in phone_rows(landing, FIRST) if r["call_start"] != "not a date"]
    bad_web = bad_positions(landing, FIRST, "web")
    for n, line in enumerate(web_lines(landing, FIRST), start=1):
        if str(n) not in bad_web:
            local_day["web"].append(dt.datetime.fromisoformat(json.loads(line)["submitted_at"]).date().isoformat())
    for msg in emails(landing, FIRST).values():
        if msg["Date"] is not None:
            local_day["email"].append(msg["Date"].datetime.astimezone(SHANGHAI).date().isoformat())
    for post, _ in posts(landing, FIRST).values():
        if "created_at" in post:
            moment = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            local_day["social"].append(moment.astimezone(SHANGHAI).date().isoformat())
    for channel, days in local_day.items():
        assert days and set(days) == {str(FIRST)}, channel


# --- ground truth ---------------------------------------------------------------------------------


def test_ground_truth_counts_equal_records_written(landing: Path) -> None:
    for day in (FIRST, LAST):
        gt = truth(landing, day)
        written = {
            "phone": len(phone_rows(landing, day)),
            "web": len(web_lines(landing, day)) + len(status_events(landing, day)),
            "email": len(emails(landing, day)),
            "social": len(posts(landing, day)),
        }
        assert written == {ch: gt["counts"][ch]["generated"] for ch in CHANNELS}
        for channel in CHANNELS:
            assert gt["counts"][channel]["bad"] == len(bad_positions(landing, day, channel)) >= 1
            counts = gt["counts"][channel]
            good = counts["generated"] - counts["bad"] - counts["skipped"] - counts["updates"]
            assert gt["dimension_counts"]["channel"][channel] == good
        good_total = sum(gt["dimension_counts"]["channel"].values())
        for dimension in ("category", "product", "region"):
            assert sum(gt["dimension_counts"][dimension].values()) == good_total
        assert gt["is_holiday"] == (day == LAST) and gt["weekday"] == ("Wednesday" if day == FIRST else "Thursday")


def test_bad_records_are_where_the_ground_truth_says(landing: Path) -> None:
    checks = 0
    for day in (FIRST, LAST):
        rows = phone_rows(landing, day)
        for position, kind in bad_positions(landing, day, "phone").items():
            row = rows[int(position) - 1]
            assert {
                "bad_timestamp": row["call_start"] == "not a date",
                "satisfaction_out_of_range": row["satisfaction"] == "9",
                "resolved_before_received": row["resolved_time"] < row["call_start"],
            }[kind]
            checks += 1
        lines = web_lines(landing, day)
        for position, kind in bad_positions(landing, day, "web").items():
            line = lines[int(position) - 1]
            if kind == "malformed_json":
                with pytest.raises(json.JSONDecodeError):
                    json.loads(line)
            else:
                record = json.loads(line)
                assert "submitted_at" not in record if kind == "missing_submitted_at" else record["ticket"]["csat"] == 0
            checks += 1
        messages = emails(landing, day)
        for position, kind in bad_positions(landing, day, "email").items():
            msg = messages[position]
            assert msg["Date"] is None if kind == "missing_date" else email_text(msg).strip() == ""
            checks += 1
        found = posts(landing, day)
        for position, kind in bad_positions(landing, day, "social").items():
            post, _ = found[position]
            assert post["text"] == "" if kind == "empty_text" else "created_at" not in post
            checks += 1
    assert checks >= 8


def test_good_records_are_clean(landing: Path) -> None:
    bad = bad_positions(landing, FIRST, "phone")
    for n, row in enumerate(phone_rows(landing, FIRST), start=1):
        if str(n) in bad:
            continue
        received = dt.datetime.fromisoformat(row["call_start"])
        assert row["satisfaction"] in {"", "1", "2", "3", "4", "5"}
        assert row["status"] in STATUSES
        assert not row["resolved_time"] or dt.datetime.fromisoformat(row["resolved_time"]) > received
        assert (row["first_response_time"] == "") == (row["status"] == "open") == (row["handle_minutes"] == "")
        assert row["status"] == "open" or 3 <= float(row["handle_minutes"]) <= 120
        assert 1 <= int(row["severity"]) <= 5
    bad = bad_positions(landing, FIRST, "web")
    for n, line in enumerate(web_lines(landing, FIRST), start=1):
        if str(n) not in bad:
            record = json.loads(line)
            assert record["ticket"]["csat"] in {None, 1, 2, 3, 4, 5} and record["submitted_at"]


# --- text -----------------------------------------------------------------------------------------


def test_every_template_and_filler_is_clean() -> None:
    for category, by_lang in sd_texts.TEMPLATES.items():
        for lang, templates in by_lang.items():
            assert len(sd.CATEGORY_KEYWORDS[category][lang]) >= 4
            for template in templates:
                assert categories_in(template.format(product="router")) == {category}, template
    groups = (sd_texts.OPENINGS, sd_texts.CLOSINGS, sd_texts.SALUTATIONS, sd_texts.SIGNOFFS)
    fillers = [filler for group in groups for language in ("en", "zh") for filler in group[language]]
    assert not any(categories_in(f) for f in fillers)


def test_texts_hold_keywords_of_their_own_category_only(landing: Path) -> None:
    languages = set()
    for day in (FIRST, LAST):
        for n, row in enumerate(phone_rows(landing, day), start=1):
            assert categories_in(row["notes"]) == {row["category"]}, (n, row["notes"])
        bad_web = bad_positions(landing, day, "web")
        for n, line in enumerate(web_lines(landing, day), start=1):
            if bad_web.get(str(n)) != "malformed_json":
                record = json.loads(line)
                assert categories_in(record["description"]) == {record["category"]}
        bad_mail = bad_positions(landing, day, "email")
        for position, msg in emails(landing, day).items():
            if bad_mail.get(position) != "empty_body" and msg["In-Reply-To"] is None:  # replies: no complaint
                text = email_text(msg)
                assert len(categories_in(text)) == 1, text
                complaint, form = text.split("Product: ")
                assert form.split("\n")[0] in complaint and "Region: " in form and "Account: AC" in form
        bad_posts = bad_positions(landing, day, "social")
        for position, (post, _) in posts(landing, day).items():
            if bad_posts.get(position) != "empty_text" and "conversation_id" not in post:  # not a follow-up
                assert len(categories_in(post["text"])) == 1, post["text"]
                languages.add(post["lang"])
    assert languages == {"en", "zh"}


def test_some_texts_carry_phone_numbers_and_email_addresses(landing: Path) -> None:
    notes = [row["notes"] for row in phone_rows(landing, FIRST)]
    assert any(re.search(r"1[3-9]\d{9}", n) for n in notes)
    assert any(re.search(r"[\w.]+@[\w.]+", n) for n in notes)
    names = [row["caller_name"] for row in phone_rows(landing, FIRST)]
    assert any(re.search(r"[\u4e00-\u9fff]", n) for n in names) and any(n.isascii() for n in names)


# --- volume and surges ----------------------------------------------------------------------------


def test_expected_volume_follows_weekday_and_holiday() -> None:
    assert sd.expected_volume(WEDNESDAY, 1000) == pytest.approx(1000)
    assert sd.expected_volume(WEDNESDAY - dt.timedelta(days=2), 1000) == pytest.approx(1100)  # Monday
    assert sd.expected_volume(dt.date(2026, 10, 7), 1000) == pytest.approx(1000 * 1.2)  # holiday Wednesday
    assert sd.expected_volume(WEDNESDAY, 1000, channel="phone") == pytest.approx(400)


def test_holidays_bring_about_twenty_percent_more(tmp_path: Path) -> None:
    start, end = dt.date(2026, 9, 24), dt.date(2026, 10, 14)
    summary = sd.generate(start, end, tmp_path, per_day=300, seed=11, surges=[])
    totals = {d.day: d.total for d in summary.days}
    ratios = []
    for day, total in totals.items():
        if is_holiday(day, "CN"):
            same = [t for d, t in totals.items() if d.weekday() == day.weekday() and not is_holiday(d, "CN")]
            ratios.append(total / (sum(same) / len(same)))
    assert len(ratios) >= 5
    assert 1.10 < sum(ratios) / len(ratios) < 1.30


def test_forced_category_surge_multiplies_that_category(tmp_path: Path) -> None:
    surge = sd.Surge(dimension="category", value="billing_dispute", start=WEDNESDAY, days=1, multiplier=4.0)
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path / "base", per_day=1000, surges=[])
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path / "surge", per_day=1000, surges=[surge])
    before = truth(tmp_path / "base", WEDNESDAY)["dimension_counts"]["category"]
    gt = truth(tmp_path / "surge", WEDNESDAY)
    after = gt["dimension_counts"]["category"]
    # The extra records come from their own random stream, so the other categories do not move at all.
    assert {c: n for c, n in after.items() if c != "billing_dispute"} == {
        c: n for c, n in before.items() if c != "billing_dispute"
    }
    expected_extra = (4.0 - 1) * sd.expected_volume(WEDNESDAY, 1000) * 0.10
    extra = after["billing_dispute"] - before["billing_dispute"]
    assert abs(extra - expected_extra) < 4 * math.sqrt(expected_extra)
    tolerance = 4 * math.sqrt(expected_extra) / before["billing_dispute"] + 4 / math.sqrt(before["billing_dispute"])
    assert after["billing_dispute"] / before["billing_dispute"] == pytest.approx(4.0, abs=tolerance)
    assert gt["surges"] == [surge.as_json()]


def test_forced_channel_surge_touches_only_that_channel(tmp_path: Path) -> None:
    surge = sd.Surge(dimension="channel", value="social", start=WEDNESDAY, days=2, multiplier=3.0)
    base = sd.generate(WEDNESDAY, WEDNESDAY, tmp_path / "base", per_day=300, surges=[])
    surged = sd.generate(WEDNESDAY, WEDNESDAY, tmp_path / "surge", per_day=300, surges=[surge])
    before, after = base.days[0].counts, surged.days[0].counts
    assert all(before[ch] == after[ch] for ch in ("phone", "email", "web"))
    assert 2.0 < after["social"].generated / before["social"].generated < 4.5


def test_random_surges_follow_the_rules() -> None:
    start, end = dt.date(2026, 9, 23), dt.date(2026, 11, 21)
    for seed in range(5):
        surges = sd.choose_surges(start, end, seed)
        assert surges == sd.choose_surges(start, end, seed)
        assert len(surges) >= 2
        days = [s.start + dt.timedelta(days=k) for s in surges for k in range(s.days)]
        assert len(days) == len(set(days))
        assert all(d >= start + dt.timedelta(days=29) and d <= end and not is_holiday(d, "CN") for d in days)
        assert all(2 <= s.multiplier <= 5 and 1 <= s.days <= 3 for s in surges)
    assert sd.choose_surges(start, start + dt.timedelta(days=20), 1) == []


def test_random_surges_land_in_the_files(tmp_path: Path) -> None:
    start, end = dt.date(2026, 9, 1), dt.date(2026, 10, 5)  # 35 days: at least two surges
    surges = sd.choose_surges(start, end, 5)
    assert len(surges) >= 2
    late = [start + dt.timedelta(days=k) for k in range(29, 35)]
    for day in late:
        sd.generate_day(day, tmp_path, per_day=50, seed=5, surges=surges)
        assert truth(tmp_path, day)["surges"] == [s.as_json() for s in surges if s.covers(day)]


def test_random_floods_and_campaigns_follow_the_rules() -> None:
    start, end = dt.date(2026, 9, 23), dt.date(2026, 11, 21)  # 60 days: 6 floods, 4 campaigns
    for seed in range(5):
        suspects = sd.choose_suspects(start, end, seed)
        assert suspects == sd.choose_suspects(start, end, seed)
        assert sorted(s.kind for s in suspects) == ["campaign"] * 4 + ["flood"] * 6
        days = [s.day for s in suspects]
        assert len(days) == len(set(days))
        assert all(d >= start + dt.timedelta(days=29) and d <= end and not is_holiday(d, "CN") for d in days)
        assert all(s.channel in ("email", "web", "social") for s in suspects if s.kind == "campaign")
    assert sd.choose_suspects(start, start + dt.timedelta(days=20), 1) == []


def test_a_flood_is_one_customers_and_a_campaign_one_letter_from_many(tmp_path: Path) -> None:
    """A phone flood of 12 calls comes from one account; a web campaign of 25 forms carries one letter (in English
    or Chinese, maybe with an opening and a personal line) from 25 different accounts. Nothing else changes."""
    flood = sd.Suspect("flood", "phone", WEDNESDAY, complaints=12, start_minute=540, minutes=120)
    campaign = sd.Suspect("campaign", "web", WEDNESDAY, complaints=25, start_minute=600, minutes=360, letter=1)
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path / "base", per_day=400, surges=[], suspects=[])
    sd.generate(WEDNESDAY, WEDNESDAY, tmp_path / "suspects", per_day=400, surges=[], suspects=[flood, campaign])
    assert truth(tmp_path / "suspects", WEDNESDAY)["suspects"] == [flood.as_json(), campaign.as_json()]

    def calls(root: Path) -> list[dict]:
        path = root / "phone" / WEDNESDAY.isoformat() / f"calls_{WEDNESDAY.isoformat()}.csv"
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    def forms(root: Path) -> list[dict]:
        path = root / "web" / WEDNESDAY.isoformat() / f"submissions_{WEDNESDAY.isoformat()}.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("{")]

    # Ticket numbers follow the calls' order, so the flood's calls are told apart by who made them.
    before = collections.Counter(row["account_no"] for row in calls(tmp_path / "base"))
    after = collections.Counter(row["account_no"] for row in calls(tmp_path / "suspects"))
    # One account every time (the generator leaves it out of 12 % of calls, but not a flooder's).
    assert list((after - before).values()) == [12] and not before - after
    letter = {lang: text.split("{")[0] for lang, text in sd_texts.CAMPAIGN_LETTERS[1][1].items()}
    copies = [
        f for f in forms(tmp_path / "suspects") if any(opening in f["description"] for opening in letter.values())
    ]
    assert len(copies) == 25 and len({f["email"] for f in copies}) == 25
    assert {f["category"] for f in copies} == {"product_quality"}
    assert not any(any(opening in f["description"] for opening in letter.values()) for f in forms(tmp_path / "base"))


def test_counting_a_day_equals_the_ground_truth_of_writing_it(tmp_path: Path) -> None:
    surges = [sd.Surge(dimension="region", value="wuhan", start=WEDNESDAY, multiplier=3.0)]
    sd.generate_day(WEDNESDAY, tmp_path, per_day=400, seed=3, surges=surges)
    written = truth(tmp_path, WEDNESDAY)["dimension_counts"]
    counted = sd.count_day(WEDNESDAY, per_day=400, seed=3, surges=surges)
    assert counted == written
    assert counted["region"]["wuhan"] > 2 * sd.count_day(WEDNESDAY, per_day=400, seed=3)["region"]["wuhan"]


def test_surge_rejects_unknown_dimension_or_value() -> None:
    with pytest.raises(ValueError, match="dimension"):
        sd.Surge(dimension="colour", value="red", start=WEDNESDAY)
    with pytest.raises(ValueError, match="category"):
        sd.Surge(dimension="category", value="weather", start=WEDNESDAY)
    assert {c for c in CATEGORIES} == set(sd.CATEGORY_KEYWORDS)


def test_cli_prints_a_line_per_day_and_a_total(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sd.main(["--start", "2026-10-13", "--end", "2026-10-14", "--out", str(tmp_path), "--per-day", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2026-10-13 Tue phone=") and lines[1].startswith("2026-10-14 Wed")
    assert lines[-1].startswith("total ")
    assert json.loads((tmp_path / "_ground_truth" / "surges.json").read_text())["surges"] == []


def test_no_file_tells_the_future(tmp_path: Path) -> None:
    """Every time in every generated file is at or before its export: the end of its landing date."""
    first, last = WEDNESDAY - dt.timedelta(days=9), WEDNESDAY
    sd.generate(first, last, tmp_path, per_day=200, seed=5)
    updates = 0
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        export = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
        times: list[dt.datetime] = []
        for row in phone_rows(tmp_path, day):
            for column in ("call_start", "first_response_time", "resolved_time", "updated_at"):
                if row[column] and row[column] != "not a date":
                    times.append(dt.datetime.fromisoformat(row[column]).replace(tzinfo=SHANGHAI))
        for record in [json.loads(line) for line in web_lines(tmp_path, day) if line.endswith("}")]:
            times += [dt.datetime.fromisoformat(record[k]) for k in ("submitted_at",) if record.get(k)]
            ticket = record["ticket"]
            assert ticket["first_response_at"] is None and ticket["resolved_at"] is None  # as it was submitted
        for event in status_events(tmp_path, day):
            times.append(dt.datetime.fromisoformat(event["event_at"]))
            times += [
                dt.datetime.fromisoformat(event["ticket"][k])
                for k in ("first_response_at", "resolved_at")
                if event["ticket"][k]
            ]
        for msg in emails(tmp_path, day).values():
            if msg["Date"] is not None:
                times.append(email.utils.parsedate_to_datetime(str(msg["Date"])))
        for post, _ in posts(tmp_path, day).values():
            if post.get("created_at"):
                times.append(dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00")))
        assert times and max(times) <= export, (day, max(times))
        updates += sum(truth(tmp_path, day)["counts"][channel]["updates"] for channel in CHANNELS)
    # Complaints are answered, resolved, reopened and surveyed over the following days: those are updates.
    assert updates > 1000
    statuses = {
        row["status"] for row in phone_rows(tmp_path, last) if not row["ticket_no"].startswith(f"CC{last:%Y%m%d}")
    }
    assert {"in_progress", "resolved", "reopened", "closed"} <= statuses


def test_the_ground_truth_holds_every_complaints_life_and_the_exports_tell_it(landing: Path) -> None:
    for day in (FIRST, LAST):
        with (landing / "_ground_truth" / "lives" / f"{day}.csv").open(encoding="utf-8", newline="") as handle:
            lives = {row["complaint_id"]: row for row in csv.DictReader(handle)}
        assert len(lives) == sum(truth(landing, day)["dimension_counts"]["channel"].values())
    # LAST's export shows FIRST's tickets as they stood at its end: their lives, up to then.
    export = dt.datetime(2026, 10, 1, 16)  # the end of LAST in Shanghai, in UTC
    with (landing / "_ground_truth" / "lives" / f"{FIRST}.csv").open(encoding="utf-8", newline="") as handle:
        lives = {row["complaint_id"]: row for row in csv.DictReader(handle)}

    def shanghai(text: str) -> str:
        return (
            ""
            if not text
            else dt.datetime.fromisoformat(text)
            .replace(tzinfo=SHANGHAI)
            .astimezone(dt.UTC)
            .strftime("%Y-%m-%d %H:%M:%S")
        )

    updated = [row for row in phone_rows(landing, LAST) if row["ticket_no"].startswith(f"CC{FIRST:%Y%m%d}")]
    assert len(updated) > 20
    for row in updated:
        life = lives[f"PH-{row['ticket_no']}"]
        assert shanghai(row["first_response_time"]) == life["first_response_at"]
        again = life["resolved_again_at"]
        resolved = again if again and dt.datetime.fromisoformat(again) <= export else life["resolved_at"]
        if not resolved or dt.datetime.fromisoformat(resolved) > export:
            resolved = ""
        assert shanghai(row["resolved_time"]) == resolved


def test_no_event_of_a_life_happens_at_an_export_s_instant() -> None:
    """A reply or status event at exactly local midnight would share its version time with the records the
    export written then describes as of that instant (a form, the mail it answers): at 1,000,000 a day the
    loader quarantined 10 such pairs as conflicting versions the generator never meant."""
    import numpy as np

    midnight = int(dt.datetime(2026, 10, 15, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())
    batch = {
        "first_s": np.array([3600.0, 600.0]),
        "resolve_s": np.array([3600.0 + 86400, 1200.0]),
        "reopened": np.array([False, False]),
        "picks": np.array([[0], [0]]),
    }
    received = np.array([midnight - 3600, midnight - 7200])
    life = sd_model._life(batch, received)
    # Answered and resolved at midnight (a day apart): each a second later; the other life is untouched.
    assert life["first"].tolist() == [midnight + 1, midnight - 6600]
    assert life["resolve"].tolist() == [midnight + 86401, midnight - 6000]
    assert life["close"].tolist() == [midnight + 2 * 86400 + 1, midnight - 6000 + 86400]
