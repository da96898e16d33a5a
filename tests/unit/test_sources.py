"""Channel parsers on hand-written files in each channel's real format."""

from __future__ import annotations

import datetime as dt
import json
from email.message import EmailMessage
from pathlib import Path

import pyarrow as pa
import pytest
from records import form

from complaints_pipeline.sources import PARSERS
from complaints_pipeline.sources.base import ParseContext, Reject

DAY = dt.date(2026, 10, 12)


def _ctx(root: Path, channel: str) -> ParseContext:
    return ParseContext(channel, root, DAY, "Asia/Shanghai", "test-key")


def _parse(root: Path, channel: str, path: Path) -> tuple[list[dict], list[Reject]]:
    items = []
    for item in PARSERS[channel](path, _ctx(root, channel)):  # a columnar parser yields tables of rows
        items.extend(item.to_pylist() if isinstance(item, pa.Table) else [item])
    return [i for i in items if not isinstance(i, Reject)], [i for i in items if isinstance(i, Reject)]


PHONE_HEADER = (
    "ticket_no,call_start,caller_name,caller_phone,account_no,product,category,severity,complexity,region,status,"
    "first_response_time,resolved_time,satisfaction,escalation_level,compensation,handle_minutes,agent_id,notes"
)


def test_phone_csv_with_bom_multiline_notes_and_local_times(tmp_path: Path) -> None:
    path = tmp_path / "phone" / DAY.isoformat() / "calls.csv"
    path.parent.mkdir(parents=True)
    rows = [
        PHONE_HEADER,
        "T1,2026-10-12 09:30:00,Li Lei,13812345678,A100,router,product_quality,3,general,beijing,resolved,"
        '2026-10-12 10:00:00,2026-10-13 09:30:00,5,0,0,12.5,ag7,"Router broken,\nsays ""again"", call 13900001111"',
        "T2,not a date,王芳,13700000000,A200,laptop,billing_dispute,2,general,wuhan,open,,,,0,0,3,ag8,bill wrong",
    ]
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8-sig"))

    good, rejects = _parse(tmp_path, "phone", path)

    assert len(good) == 1 and len(rejects) == 1
    row = good[0]
    assert row["complaint_id"] == "PH-T1"
    assert row["received_at"] == dt.datetime(2026, 10, 12, 1, 30)  # 09:30 in Shanghai is 01:30 UTC
    assert row["resolved_at"] == dt.datetime(2026, 10, 13, 1, 30)
    assert row["complaint_text"] == 'Router broken,\nsays "again", call [phone]'
    assert row["customer_key"] and "A100" not in row["customer_key"]
    assert row["satisfaction_score"] == 5 and row["handling_minutes"] == 12.5
    assert row["source_file"] == f"phone/{DAY}/calls.csv" and row["source_position"] == "1"
    assert rejects[0].source_position == "2"
    assert rejects[0].failing_column == "call_start" and rejects[0].failing_value == "not a date"
    assert "YYYY-MM-DD HH:MM:SS" in rejects[0].reason


def test_web_jsonl_malformed_line_is_rejected_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "web" / DAY.isoformat() / "submissions.jsonl"
    path.parent.mkdir(parents=True)
    good_line = form(
        region="Chengdu",
        description="package late, write me at li@example.com",
        ticket={"status": "resolved", "csat": 4, "resolved_at": "2026-10-13T02:00:00Z"},
    )
    path.write_text(json.dumps(good_line) + "\n" + '{"submission_id": "S2", "submitted_at": "2026-\n', encoding="utf-8")

    good, rejects = _parse(tmp_path, "web", path)

    assert [r["complaint_id"] for r in good] == ["WB-S1"]
    assert good[0]["received_at"] == dt.datetime(2026, 10, 12, 2, 0)
    assert good[0]["complaint_text"] == "package late, write me at [email]"
    assert good[0]["region"] == "Chengdu"
    assert len(rejects) == 1 and rejects[0].source_position == "2" and "not valid JSON" in rejects[0].reason


def _email(subject: str, body: str, charset: str, with_date: bool = True) -> bytes:
    message = EmailMessage()
    message["From"] = "Wang Fang <wang@example.cn>"
    message["To"] = "complaints@example.com"
    message["Subject"] = subject
    message["Message-ID"] = "<abc-1@example.cn>"
    if with_date:
        message["Date"] = "Mon, 12 Oct 2026 10:00:00 +0800"
    message.set_content(body, charset=charset)
    return message.as_bytes()


def test_gbk_email_with_encoded_subject_and_footer(tmp_path: Path) -> None:
    folder = tmp_path / "email" / DAY.isoformat()
    folder.mkdir(parents=True)
    body = "快递延迟了一周，电话13812345678。\nProduct: smart_tv\nRegion: Shanghai\nAccount: 998877\n"
    (folder / "1.eml").write_bytes(_email("快递投诉", body, "gbk"))

    good, rejects = _parse(tmp_path, "email", folder / "1.eml")

    assert rejects == []
    row = good[0]
    assert row["complaint_id"].startswith("EM-") and len(row["complaint_id"]) == 19
    assert row["complaint_text"] == "快递延迟了一周，电话[phone]。"
    assert row["language"] == "zh"
    assert (row["product"], row["region"]) == ("smart_tv", "shanghai")
    assert row["received_at"] == dt.datetime(2026, 10, 12, 2, 0)
    assert json.loads(row["extra"])["subject"] == "快递投诉"


def test_email_without_date_has_no_received_time(tmp_path: Path) -> None:
    folder = tmp_path / "email" / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "2.eml").write_bytes(_email("late", "My package is late.\nProduct: router\n", "utf-8", with_date=False))

    good, _ = _parse(tmp_path, "email", folder / "2.eml")

    # Not a parse error: the quality gate's not-null expectation quarantines it with its reason.
    assert good[0]["received_at"] is None


def test_social_page_maps_authors_and_finds_the_product(tmp_path: Path) -> None:
    path = tmp_path / "social" / DAY.isoformat() / f"posts_{DAY}_1.json"
    path.parent.mkdir(parents=True)
    page = {
        "data": [
            {
                "id": "9001",
                "text": "My smart TV is broken again",
                "author_id": "u1",
                "created_at": "2026-10-12T03:00:00Z",
                "lang": "en",
            },
            "not an object",
        ],
        "includes": {"users": [{"id": "u1", "username": "li", "name": "Li", "location": "Wuhan"}]},
    }
    path.write_text(json.dumps(page), encoding="utf-8")

    good, rejects = _parse(tmp_path, "social", path)

    assert [(r["complaint_id"], r["product"], r["region"]) for r in good] == [("SO-9001", "smart_tv", "wuhan")]
    assert [r.source_position for r in rejects] == ["1:2"]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call me on 138-1234-5678 today", "call me on [phone] today"),
        ("mail a.b+c@mail.example.co.uk now", "mail [email] now"),
        ("order 2026 arrived", "order 2026 arrived"),
    ],
)
def test_free_text_masking(text: str, masked: str) -> None:
    from complaints_pipeline.pii import mask_text

    assert mask_text(text) == masked


def test_a_real_x_page_masks_every_handle_and_links_the_posts_it_quotes(tmp_path: Path) -> None:
    """tests/fixtures/real/social: ten real @TwitterDev posts (X API v2), expected outcomes by the rule in
    its SOURCES.md."""
    real = Path(__file__).parents[1] / "fixtures" / "real" / "social" / "twitterdev_timeline_2022-02.json"
    path = tmp_path / "social" / DAY.isoformat() / "x_page_1.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(real.read_bytes())
    page = json.loads(real.read_text(encoding="utf-8"))

    good, rejects = _parse(tmp_path, "social", path)

    assert rejects == [] and len(good) == 10
    texts = {row["complaint_id"]: row["complaint_text"] for row in good}
    assert texts["SO-1495826817638633472"] == (
        "Join [handle], [handle] and [handle] Thursday 2/24 at 3:05pm PT for this month’s town hall conversation"
        " on the recent updates to the Twitter Developer Platform. https://t.co/aJ7yayEwbx"
    )
    assert texts["SO-1488610643766824961"].startswith(
        "Interested in learning how to make bots with the Twitter API? [handle]'s tutorial walks you through"
        " her latest bot [handle], which"
    )
    assert not any("@" in text for text in texts.values())
    # Every other post's text is as it was.
    originals = {f"SO-{post['id']}": post["text"] for post in page["data"]}
    unchanged = [cid for cid, text in texts.items() if text == originals[cid]]
    assert len(unchanged) == 8
    # The quoting posts name the complaint they quote.
    quotes = {row["complaint_id"]: json.loads(row["extra"]).get("quotes") for row in good}
    assert {cid: q for cid, q in quotes.items() if q} == {
        "SO-1494041977972744200": "SO-1494040671048581123",
        "SO-1488930580054085633": "SO-1488619414584922116",
    }
