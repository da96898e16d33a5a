"""Bad input, one case each: no crash, and every record loaded, quarantined with its reason, or skipped.

Each case lands files for one channel and one day, runs the real extract stage (parsers and the Great
Expectations suite) and checks what was staged; every case also checks that the day reconciles:
records in = loaded + quarantined + skipped.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from records import (
    PHONE_COLUMNS,
    cfpb,
    cfpb_csv,
    form,
    jsonl,
    mail,
    mbox,
    phone_csv,
    phone_row,
    post,
    raw_mail,
    x_page,
)

from complaints_pipeline import ingest, loader, staging
from complaints_pipeline.config import load_settings
from complaints_pipeline.sources import email as email_source

DAY = dt.date(2026, 10, 12)


# ---------------------------------------------------------------- the cases


@dataclass
class Case:
    channel: str
    files: dict[str, bytes]
    loaded: int = 0
    quarantined: list[str] = field(default_factory=list)  # one expected reason fragment per record
    skipped: list[str] = field(default_factory=list)  # one expected kind per record


def thread(reply_id: str, headers: dict[str, str]) -> dict[str, bytes]:
    """The files of a thread: mail()'s message, and a reply to it (Message-ID reply_id, with these headers)."""
    reply = mail(message_id=reply_id, subject="Re: complaint", headers={"In-Reply-To": "<m1@example.cn>", **headers})
    return {"1.eml": mail(), "2.eml": reply}


CSV = f"calls_{DAY}.csv"
LONG = "x" * 1_000_000

CASES = {
    # ---- phone: call-centre CSV exports
    "phone_empty_file": Case("phone", {CSV: b""}),
    "phone_header_only": Case("phone", {CSV: phone_csv()}),
    "phone_valid_utf8_without_bom": Case("phone", {CSV: phone_csv(phone_row(), encoding="utf-8")}, loaded=1),
    "phone_gbk_excel_export_with_chinese_headers": Case(
        "phone",
        {
            CSV: phone_csv(
                phone_row(notes="路由器坏了，电话13812345678"),
                header=[
                    "工单号",
                    "来电时间",
                    "客户姓名",
                    "来电号码",
                    "客户账号",
                    "产品",
                    "投诉类别",
                    "严重程度",
                    "复杂度",
                    "地区",
                    "状态",
                    "首次响应时间",
                    "解决时间",
                    "满意度",
                    "升级级别",
                    "补偿金额",
                    "处理时长",
                    "坐席工号",
                    "备注",
                ],
                encoding="gbk",
            )
        },
        loaded=1,
    ),
    "phone_truncated_last_line": Case(
        "phone",
        {CSV: phone_csv(phone_row()) + b'T2,2026-10-12 09:31:00,Li,138,A2,router,"unfinished'},
        loaded=1,
        quarantined=["cut off"],
    ),
    "phone_row_cut_short": Case(
        "phone", {CSV: phone_csv(phone_row(), ["T2", "2026-10-12 09:"])}, loaded=1, quarantined=["has 2 cells"]
    ),
    "phone_extra_column": Case(
        "phone", {CSV: phone_csv([*phone_row(ticket_no="T2").values(), "surplus"])}, quarantined=["has 20 cells"]
    ),
    "phone_missing_column": Case(
        "phone", {CSV: phone_csv(list(phone_row(ticket_no="T2").values())[:-1])}, quarantined=["has 18 cells"]
    ),
    "phone_wrong_encoding_byte": Case(
        "phone",
        {
            CSV: phone_csv(phone_row(), encoding="utf-8")
            + b"T2,2026-10-12 09:31:00,x,1,A,router,,3,general,bj,open,,,,0,0,1,a,bad "
            + b"\xff\xfe\n"
        },
        loaded=1,
        quarantined=["not valid utf-8"],
    ),
    "phone_nul_bytes": Case(
        "phone",
        {
            CSV: phone_csv(phone_row())
            + phone_csv(phone_row(ticket_no="T2", notes="a\x00b"))[len(",".join(PHONE_COLUMNS)) + 5 :]
        },
        loaded=1,
        quarantined=["NUL"],
    ),
    "phone_header_without_call_start": Case(
        "phone",
        {CSV: phone_csv(phone_row(), header=[c if c != "call_start" else "when" for c in PHONE_COLUMNS])},
        quarantined=["no call_start column"],
    ),
    "phone_call_start_not_a_date": Case(
        "phone", {CSV: phone_csv(phone_row(call_start="not a date"))}, quarantined=["not a date-time"]
    ),
    "phone_satisfaction_abc": Case(
        "phone", {CSV: phone_csv(phone_row(satisfaction="abc"))}, quarantined=["not a whole number"]
    ),
    "phone_satisfaction_zero": Case(
        "phone", {CSV: phone_csv(phone_row(satisfaction="0"))}, quarantined=["satisfaction score must be 1 to 5"]
    ),
    "phone_satisfaction_six": Case(
        "phone", {CSV: phone_csv(phone_row(satisfaction="6"))}, quarantined=["satisfaction score must be 1 to 5"]
    ),
    "phone_resolved_before_received": Case(
        "phone", {CSV: phone_csv(phone_row(resolved_time="2026-10-11 09:00:00"))}, quarantined=["resolved before"]
    ),
    "phone_received_in_the_future": Case(
        "phone",
        {CSV: phone_csv(phone_row(call_start="2027-03-01 09:00:00", first_response_time="", resolved_time=""))},
        quarantined=["after the landing date"],
    ),
    "phone_received_before_2000": Case(
        "phone", {CSV: phone_csv(phone_row(call_start="1999-12-31 09:00:00"))}, quarantined=["before 2000"]
    ),
    "phone_severity_nine": Case(
        "phone", {CSV: phone_csv(phone_row(severity="9"))}, quarantined=["severity must be 1 to 5"]
    ),
    "phone_unknown_status": Case("phone", {CSV: phone_csv(phone_row(status="lost"))}, quarantined=["status is not"]),
    "phone_duplicate_id_within_file": Case(
        "phone", {CSV: phone_csv(phone_row(), phone_row())}, loaded=1, skipped=["duplicate_version"]
    ),
    "phone_duplicate_id_across_files": Case(
        "phone",
        {CSV: phone_csv(phone_row()), "calls_late.csv": phone_csv(phone_row(), phone_row(ticket_no="T3"))},
        loaded=2,
        skipped=["duplicate_version"],
    ),
    "phone_one_ticket_twice_with_different_states": Case(
        "phone",
        {CSV: phone_csv(phone_row(), phone_row(status="reopened", satisfaction=""))},
        quarantined=["more than once", "more than once"],
    ),
    "phone_same_file_landed_twice": Case(
        "phone",
        {
            CSV: phone_csv(phone_row(), phone_row(ticket_no="T2")),
            "copy.csv": phone_csv(phone_row(), phone_row(ticket_no="T2")),
        },
        loaded=2,
        skipped=["duplicate_file", "duplicate_file"],
    ),
    "phone_one_megabyte_note": Case(
        "phone", {CSV: phone_csv(phone_row(notes=LONG))}, quarantined=["longer than 50,000"]
    ),
    "phone_script_in_note_is_loaded_as_plain_text": Case(
        "phone", {CSV: phone_csv(phone_row(notes="<script>alert(1)</script><b>router</b> broken"))}, loaded=1
    ),
    # ---- web: form submissions (JSON lines)
    "web_empty_file": Case("web", {"s.jsonl": b""}),
    "web_invalid_json_line": Case(
        "web",
        {"s.jsonl": jsonl(form(), '{"submission_id": "S2", "submitted_at": ')},
        loaded=1,
        quarantined=["not valid JSON"],
    ),
    "web_json_array_instead_of_object": Case(
        "web", {"s.jsonl": jsonl([1, 2])}, quarantined=["JSON array, not an object"]
    ),
    "web_missing_submission_id": Case(
        "web", {"s.jsonl": jsonl(form(submission_id=None))}, quarantined=["submission_id is missing"]
    ),
    "web_missing_submitted_at": Case(
        "web", {"s.jsonl": jsonl(form(submitted_at=None))}, quarantined=["no submitted_at"]
    ),
    "web_csat_abc": Case("web", {"s.jsonl": jsonl(form(ticket={"csat": "abc"}))}, quarantined=["not a whole number"]),
    "web_ticket_of_the_wrong_shape": Case(
        "web", {"s.jsonl": jsonl(form(ticket="resolved"))}, quarantined=["ticket is not a JSON object"]
    ),
    "web_invalid_utf8": Case(
        "web",
        {"s.jsonl": jsonl(form()) + b'{"submission_id": "S2", "description": "\xff"}\n'},
        loaded=1,
        quarantined=["not valid UTF-8"],
    ),
    "web_unknown_category": Case(
        "web", {"s.jsonl": jsonl(form(category="weather"))}, quarantined=["not a known complaint category"]
    ),
    "web_unknown_timestamp_format": Case(
        "web", {"s.jsonl": jsonl(form(submitted_at="yesterday"))}, quarantined=["not an ISO 8601"]
    ),
    "web_description_a_number_not_text": Case(
        "web",
        {"s.jsonl": jsonl(form(), form(submission_id="S2", description=42))},
        loaded=1,
        quarantined=["not a string"],
    ),
    "web_severity_true_not_a_number": Case(
        "web", {"s.jsonl": jsonl(form(severity=True))}, quarantined=["not a whole number"]
    ),
    "web_nul_byte_in_line": Case(
        "web", {"s.jsonl": jsonl(form()) + b'{"submission_id": "S2\x00"}\n'}, loaded=1, quarantined=["not valid JSON"]
    ),
    # ---- web: CFPB Consumer Complaint Database exports
    "cfpb_csv_pre_2017_product_and_us_dates": Case(
        "web",
        {
            "cfpb.csv": cfpb_csv(
                cfpb(**{"Date received": "10/12/2026", "Product": "Bank account or service", "Submitted via": "Phone"})
            )
        },
        loaded=1,
    ),
    "cfpb_csv_unknown_submitted_via": Case(
        "web", {"cfpb.csv": cfpb_csv(cfpb(**{"Submitted via": "Carrier pigeon"}))}, quarantined=["not a channel"]
    ),
    "cfpb_csv_cut_off_mid_row": Case(
        "web",
        {"cfpb.csv": cfpb_csv(cfpb(), cfpb(**{"Complaint ID": "7002"}), cut=-40)},
        loaded=1,
        quarantined=["of the header's 18 CFPB columns"],
    ),
    "cfpb_csv_wrong_header": Case(
        "web", {"cfpb.csv": b"Date,Product\n2026-10-12,Mortgage\n"}, quarantined=["not a CFPB export"]
    ),
    "cfpb_json_export_and_search_api": Case(
        "web",
        {
            "cfpb.json": json.dumps(
                [
                    {
                        "date_received": "2026-10-12T12:00:00-05:00",
                        "product": "Mortgage",
                        "complaint_what_happened": "late fee",
                        "submitted_via": "Email",
                        "complaint_id": "8001",
                        "state": "NY",
                    }
                ]
            ).encode(),
            "api.json": json.dumps(
                {
                    "hits": {
                        "hits": [
                            {
                                "_source": {
                                    "date_received": "2026-10-12",
                                    "product": "Student loan",
                                    "submitted_via": "Web",
                                    "complaint_id": "8002",
                                    "issue": "Dealing with my lender",
                                }
                            }
                        ]
                    }
                }
            ).encode(),
        },
        loaded=2,
    ),
    "cfpb_json_of_the_wrong_shape": Case(
        "web", {"cfpb.json": b'{"complaints": 3}'}, quarantined=["neither a CFPB array"]
    ),
    "cfpb_json_without_complaint_id": Case(
        "web",
        {"cfpb.json": b'[{"product": "Mortgage", "submitted_via": "Web"}]'},
        quarantined=["Complaint ID is missing"],
    ),
    # ---- email: .eml and mbox
    "email_zero_byte_eml": Case("email", {"1.eml": b""}, quarantined=["empty (zero bytes)"]),
    "email_without_date": Case("email", {"1.eml": mail(drop=("Date",))}, quarantined=["no Date header"]),
    # Message-ID is optional (RFC 5322): the complaint's id comes from the message's bytes.
    "email_without_message_id": Case("email", {"1.eml": mail(drop=("Message-ID",))}, loaded=1),
    # A label Python does not know: the charset is detected.
    "email_unknown_charset": Case("email", {"1.eml": raw_mail(b"broken", "x-klingon")}, loaded=1),
    # Bytes that neither the label nor any detected charset reads (0x81 and 0x98 are undefined in cp1252
    # and cp1251, a lone 0xff in the CJK encodings).
    "email_body_not_valid_in_its_charset": Case(
        "email",
        {"1.eml": raw_mail(b"\x81\x98\xff\xfe\xfa\x81\x98\xff \x81\x98\xff", "utf-8")},
        quarantined=["not valid in its charset"],
    ),
    "email_gb2312_label_with_gbk_text": Case(
        "email",
        {
            "1.eml": raw_mail(
                "朱镕基说路由器坏了".encode("gbk"),
                "gb2312",
                subject=b"=?gb2312?B?" + __import__("base64").b64encode("投诉".encode("gbk")) + b"?=",
            )
        },
        loaded=1,
    ),
    "email_big5_and_latin1": Case(
        "email",
        {
            "1.eml": raw_mail("路由器壞了".encode("big5"), "big5"),
            "2.eml": raw_mail("Le routeur est cassé".encode("cp1252"), "iso-8859-1").replace(b"raw1", b"raw2"),
        },
        loaded=2,
    ),
    "email_reply_belongs_to_its_thread": Case(
        "email",
        thread("<m2@example.cn>", {"References": "<m1@example.cn>"}),
        loaded=2,  # the complaint, and the customer writing again: a version of it
    ),
    "email_service_reply_answers_and_resolves": Case(
        "email",
        thread(
            "<r1@acme.example.com>",
            {
                "From": "Acme Care <complaints@acme.example.com>",
                "Date": "Mon, 12 Oct 2026 15:00:00 +0800",
                "X-Ticket-Status": "solved",
            },
        ),
        loaded=2,
    ),
    "email_service_reply_with_an_unknown_status": Case(
        "email",
        {
            "2.eml": mail(
                message_id="<r1@acme.example.com>",
                headers={
                    "From": "complaints@acme.example.com",
                    "In-Reply-To": "<m1@example.cn>",
                    "X-Ticket-Status": "on fire",
                },
            )
        },
        quarantined=["X-Ticket-Status header"],
    ),
    "email_auto_reply": Case(
        "email",
        {"1.eml": mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"})},
        skipped=["auto_reply"],
    ),
    "email_bounce": Case(
        "email",
        {"1.eml": mail(subject="Undelivered Mail Returned to Sender", headers={"From": "MAILER-DAEMON@example.com"})},
        skipped=["bounce"],
    ),
    "email_mbox_with_a_broken_from_line": Case(
        "email",
        {
            "m.mbox": mbox(
                mail(),
                mail(message_id="<m2@example.cn>"),
                separators=[b"From a@b Mon Oct 12 10:00:00 2026", b"From garbage"],
            )
        },
        loaded=1,
        quarantined=["valid mbox 'From"],
    ),
    "email_mbox_with_text_before_the_first_message": Case(
        "email", {"m.mbox": b"stray notes\n" + mbox(mail())}, loaded=1, quarantined=["valid mbox 'From"]
    ),
    "email_html_only_with_script": Case(
        "email",
        {"1.eml": mail(html="<p>My <b>router</b> is broken</p><script>steal()</script><p>Product: router</p>")},
        loaded=1,
    ),
    # ---- social: X API v2 pages and Weibo posts
    "social_page_not_json": Case(
        "social", {"posts_1.json": b'{"data": [ {"id": '}, quarantined=["file is not valid JSON"]
    ),
    "social_json_of_the_wrong_shape": Case(
        "social", {"posts_1.json": b'"hello"'}, quarantined=["neither an X API v2 page"]
    ),
    "social_post_not_an_object": Case(
        "social", {"posts_1.json": x_page(post(), "oops")}, loaded=1, quarantined=["not a JSON object"]
    ),
    "social_text_an_object_not_text": Case(
        "social", {"posts_1.json": x_page(post(text={"body": "slow"}))}, quarantined=["not a string"]
    ),
    "social_post_without_id": Case("social", {"posts_1.json": x_page(post(id=None))}, quarantined=["has no id"]),
    "social_post_without_created_at": Case(
        "social", {"posts_1.json": x_page(post(created_at=None))}, quarantined=["no created_at"]
    ),
    "social_repost": Case(
        "social",
        {"posts_1.json": x_page(post(), post(id="9002", referenced_tweets=[{"type": "retweeted", "id": "9001"}]))},
        loaded=1,
        skipped=["repost"],
    ),
    # The common form older API tiers and exports deliver: the text says RT, no referenced_tweets.
    "social_retweet_in_rt_form": Case(
        "social",
        {"posts_1.json": x_page(post(), post(id="9003", text="RT @AcmeCare: My router is broken again"))},
        loaded=1,
        skipped=["repost"],
    ),
    "social_exact_copies_are_one_signal": Case(
        "social",
        {"posts_1.json": x_page(post(), post(id="9002", text="@AcmeCare  My smart_tv is BROKEN again"))},
        loaded=1,
        skipped=["copy"],
    ),
    "social_weibo_posts_and_reposts": Case(
        "social",
        {
            "weibo_1.json": json.dumps(
                {
                    "statuses": [
                        {
                            "idstr": "4900",
                            "text": "smartphone 质量太差 <a href='x'>#投诉#</a>",
                            "created_at": "Mon Oct 12 10:00:00 +0800 2026",
                            "user": {"idstr": "77", "location": "北京 海淀"},
                        },
                        {
                            "idstr": "4901",
                            "text": "转发",
                            "created_at": "Mon Oct 12 10:05:00 +0800 2026",
                            "user": {"idstr": "78"},
                            "retweeted_status": {"idstr": "4900"},
                        },
                    ]
                },
                ensure_ascii=False,
            ).encode()
        },
        loaded=1,
        skipped=["repost"],
    ),
    "social_empty_page_file": Case("social", {"posts_1.json": b"   "}),
    "social_author_posting_again_in_the_conversation": Case(
        "social",
        {
            "posts_1.json": x_page(
                post(conversation_id="9001"),
                post(
                    id="9002",
                    text="@AcmeCare still broken after your fix",
                    conversation_id="9001",
                    in_reply_to_user_id="u1",
                    created_at="2026-10-12T09:00:00Z",
                ),
                # Someone else replying in the thread is a complaint of their own.
                post(id="9003", text="@AcmeCare mine too", author_id="u2", conversation_id="9001"),
            )
        },
        loaded=3,
    ),
}


# ---------------------------------------------------------------- running a case


@dataclass
class Staged:
    loaded: list[dict]
    quarantined: list[dict]
    skipped: list[dict]
    summary: dict


def run_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case) -> Staged:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    # These cases are about records; a day of two records with one bad would fail the day gate.
    monkeypatch.setenv("COMPLAINTS_MAX_QUARANTINED_SHARE", "1")
    settings = load_settings()
    folder = settings.landing_dir / case.channel / DAY.isoformat()
    folder.mkdir(parents=True)
    for name, data in case.files.items():
        (folder / name).write_bytes(data)
    ingest.extract(case.channel, [DAY], settings)
    # Through the loader, as a run does: the version rules judge ids against the warehouse.
    loader.load([case.channel], [DAY], settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        tables = {
            name: con.sql(f"select * from raw.{table} order by source_file, source_position")
            .to_arrow_table()
            .to_pylist()
            for name, table in (
                ("complaints", f"{case.channel}_complaints"),
                ("quarantine", "quarantine"),
                ("skipped", "skipped"),
            )
        }
    summary = staging.staged_summary(settings.staging_dir, case.channel, DAY)
    return Staged(tables["complaints"], tables["quarantine"], tables["skipped"], summary)


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    staged = run_case(tmp_path, monkeypatch, case)

    assert len(staged.loaded) == case.loaded, [r["complaint_id"] for r in staged.loaded]
    reasons = [q["reason"] for q in staged.quarantined]
    assert len(reasons) == len(case.quarantined), reasons
    for expected in case.quarantined:
        assert any(expected.lower() in r.lower() for r in reasons), f"no reason mentions {expected!r}: {reasons}"
    for q in staged.quarantined:
        assert q["source_file"].startswith(f"{case.channel}/{DAY}/") and q["source_position"], q
        # A field the parser could not read is the raw contract's to name (expectations/<channel>.json):
        # only a record that could not be split into fields is the reader's ("parse", no column).
        assert q["check_name"] != "parse" or q["failing_column"] is None, q
    assert Counter(s["kind"] for s in staged.skipped) == Counter(case.skipped)
    summary = staged.summary
    assert summary["records_in"] == len(staged.loaded) + len(staged.quarantined) + len(staged.skipped)


# ---------------------------------------------------------------- what the loaded rows hold


def test_gbk_export_is_decoded_and_personal_data_masked(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["phone_gbk_excel_export_with_chinese_headers"])
    row = staged.loaded[0]
    assert row["complaint_text"] == "路由器坏了，电话[phone]"
    assert row["language"] == "zh"
    stored = json.dumps(row, ensure_ascii=False, default=str)
    assert "A1" not in stored and "Li Lei" not in stored and "13812345678" not in stored


def test_script_is_dropped_and_tags_removed(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["phone_script_in_note_is_loaded_as_plain_text"])
    assert staged.loaded[0]["complaint_text"] == "router broken"


def test_quarantined_rows_keep_the_record_as_it_landed(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["phone_satisfaction_zero"])
    (row,) = staged.quarantined
    assert row["raw_record"].startswith("T1,2026-10-12 09:30:00,Li Lei,13812345678")
    assert (row["failing_column"], row["failing_value"], row["source_position"]) == ("satisfaction_score", "0", "1")


def test_cfpb_channel_product_and_id(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["cfpb_csv_pre_2017_product_and_us_dates"])
    row = staged.loaded[0]
    assert (row["complaint_id"], row["channel"], row["product"]) == ("PH-CFPB7001", "phone", "checking_or_savings")
    # Dated on "Date received" in the business's time zone: the start of 2026-10-12 in Shanghai, in UTC.
    assert row["received_at"] == dt.datetime(2026, 10, 11, 16)
    assert json.loads(row["extra"])["issue"] == "Managing an account"


def test_superset_charsets_decode_correctly(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["email_gb2312_label_with_gbk_text"])
    row = staged.loaded[0]
    assert row["complaint_text"] == "朱镕基说路由器坏了"  # 镕 is in GBK, not GB2312
    assert json.loads(row["extra"])["subject"] == "投诉"


def test_a_reply_points_at_its_thread(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["email_reply_belongs_to_its_thread"])
    thread = email_source.complaint_id_for("<m1@example.cn>")
    assert [(r["complaint_id"], r["version_kind"]) for r in staged.loaded] == [
        (thread, "snapshot"),
        (thread, "customer_reply"),
    ]
    reply = staged.loaded[1]
    assert reply["customer_key"] is None and reply["received_at"] is None
    assert reply["version_at"] == dt.datetime(2026, 10, 12, 2)  # its Date, in UTC


def test_the_author_posting_again_is_a_version_of_their_complaint(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["social_author_posting_again_in_the_conversation"])
    kinds = sorted((r["complaint_id"], r["version_kind"]) for r in staged.loaded)
    assert kinds == [("SO-9001", "customer_reply"), ("SO-9001", "snapshot"), ("SO-9003", "snapshot")]
    reply = next(r for r in staged.loaded if r["version_kind"] == "customer_reply")
    assert reply["version_at"] == dt.datetime(2026, 10, 12, 9) and reply["received_at"] is None


def test_the_service_s_reply_is_the_first_response_and_its_status_resolves(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["email_service_reply_answers_and_resolves"])
    complaint, reply = staged.loaded
    assert reply["complaint_id"] == complaint["complaint_id"] and reply["version_kind"] == "event"
    sent = dt.datetime(2026, 10, 12, 7)
    assert (reply["first_response_at"], reply["resolved_at"], reply["status"]) == (sent, sent, "resolved")
    assert reply["complaint_text"] is None  # the service's words are not the complaint


def test_html_only_email_keeps_the_text_not_the_script(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["email_html_only_with_script"])
    row = staged.loaded[0]
    assert "steal" not in row["complaint_text"] and "router" in row["complaint_text"]
    assert row["product"] == "router"


def test_weibo_post_time_region_and_text(tmp_path, monkeypatch) -> None:
    staged = run_case(tmp_path, monkeypatch, CASES["social_weibo_posts_and_reposts"])
    row = staged.loaded[0]
    assert (row["complaint_id"], row["region"], row["product"]) == ("SO-WB4900", "beijing", "smartphone")
    assert row["received_at"] == dt.datetime(2026, 10, 12, 2, 0)
    assert row["complaint_text"] == "smartphone 质量太差 #投诉#"
