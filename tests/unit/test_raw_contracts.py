"""Each channel's raw contract (expectations/<channel>.json): for every expectation, a record that
breaks it is quarantined naming that expectation and its reason, and the channel's good record loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import REPO_ROOT
from records import PHONE_COLUMNS, cfpb, cfpb_csv, form, jsonl, mail, phone_csv, phone_row, post, x_page
from test_bad_input import Case, run_case

from complaints_pipeline import quality

REGEX = "expect_column_values_to_match_regex"
NOT_NULL = "expect_column_values_to_not_be_null"
IN_SET = "expect_column_values_to_be_in_set"


def _suite(channel: str) -> dict:
    return json.loads((REPO_ROOT / "expectations" / f"{channel}.json").read_text(encoding="utf-8"))


def _cfpb_json(**fields) -> dict:
    record = {"complaint_id": "7100", "date_received": "2026-10-12", "submitted_via": "Web", "product": "Mortgage"}
    record.update(fields)
    return {key: value for key, value in record.items() if value is not ...}


# channel -> (files, {source position: expectation it breaks}); one good record per channel too.
BREAKS: dict[str, tuple[dict[str, bytes], dict[str, str]]] = {
    "phone": (
        {
            "calls.csv": phone_csv(
                phone_row(),
                phone_row(ticket_no=" "),
                phone_row(ticket_no="T3", call_start="12/10/2026 09:30"),
                phone_row(ticket_no="T4", first_response_time="soon"),
                phone_row(ticket_no="T5", resolved_time="2026-13-01 10:00:00"),
                phone_row(ticket_no="T6", severity="high"),
                phone_row(ticket_no="T7", satisfaction="4.5"),
                phone_row(ticket_no="T8", escalation_level="two"),
                phone_row(ticket_no="T9", compensation="¥10"),
                phone_row(ticket_no="T10", handle_minutes="nan"),
                header=PHONE_COLUMNS,
            ),
            # An export of the tickets changed on the day says when each last changed.
            "changed.csv": phone_csv(
                {**phone_row(ticket_no="T11"), "updated_at": "2026-10-12 18:00:00"},
                {**phone_row(ticket_no="T12"), "updated_at": "yesterday"},
                header=(*PHONE_COLUMNS, "updated_at"),
            ),
        },
        {
            "2": f"{REGEX}(ticket_no)",
            "3": f"{REGEX}(call_start)",
            "4": f"{REGEX}(first_response_time)",
            "5": f"{REGEX}(resolved_time)",
            "6": f"{REGEX}(severity)",
            "7": f"{REGEX}(satisfaction)",
            "8": f"{REGEX}(escalation_level)",
            "9": f"{REGEX}(compensation)",
            "10": f"{REGEX}(handle_minutes)",
            "changed.csv 2": f"{REGEX}(updated_at)",
        },
    ),
    "web": (
        {
            "forms.jsonl": jsonl(
                form(),
                form(submission_id=None),
                form(submission_id=["S3"]),
                form(submission_id="S4", submitted_at=None),
                form(submission_id="S5", submitted_at="yesterday"),
                form(submission_id="S6", severity="2.5"),
                form(submission_id="S7", ticket={"first_response_at": 1760000000}),
                form(submission_id="S8", ticket={"resolved_at": "13/10/2026"}),
                form(submission_id="S9", ticket={"csat": "good"}),
                form(submission_id="S10", ticket={"escalation_level": True}),
                form(submission_id="S11", ticket={"compensation": "10 yuan"}),
                form(submission_id="S12", ticket={"handle_minutes": [12]}),
                form(submission_id="S13", ticket=["closed"]),
                form(submission_id="S14", description={"text": "late"}),
                form(submission_id="S15", event_at="the next day", description=None, ticket={"status": "resolved"}),
            ),
            "cfpb.csv": cfpb_csv(
                cfpb(**{"Complaint ID": "7001"}),
                cfpb(**{"Complaint ID": " "}),
                cfpb(**{"Complaint ID": "7003", "Submitted via": "Carrier pigeon"}),
                cfpb(**{"Complaint ID": "7004", "Date received": "Oct 12"}),
            ),
            "cfpb.json": json.dumps(
                [_cfpb_json(complaint_id=...), _cfpb_json(complaint_id="7102", submitted_via=None)]
            ).encode(),
        },
        {
            "2": f"{NOT_NULL}(submission_id)",
            "3": f"{REGEX}(submission_id)",
            "4": f"{NOT_NULL}(submitted_at)",
            "5": f"{REGEX}(submitted_at)",
            "6": f"{REGEX}(severity)",
            "7": f"{REGEX}(ticket.first_response_at)",
            "8": f"{REGEX}(ticket.resolved_at)",
            "9": f"{REGEX}(ticket.csat)",
            "10": f"{REGEX}(ticket.escalation_level)",
            "11": f"{REGEX}(ticket.compensation)",
            "12": f"{REGEX}(ticket.handle_minutes)",
            "13": f"{IN_SET}(ticket type)",
            "14": f"{IN_SET}(description type)",
            "15": f"{REGEX}(event_at)",
            "cfpb.csv 2": f"{REGEX}(Complaint ID)",
            "cfpb.csv 3": f"{REGEX}(Submitted via)",
            "cfpb.csv 4": f"{REGEX}(Date received)",
            "cfpb.json 1": f"{NOT_NULL}(Complaint ID)",
            "cfpb.json 2": f"{NOT_NULL}(Submitted via)",
        },
    ),
    "social": (
        {
            "posts_1.json": x_page(
                post(),
                post(id=None, text="no id"),
                post(id={"value": "9003"}, text="an id that is an object"),
                post(id="9004", created_at=None, text="no time"),
                post(id="9005", created_at="3 hours ago", text="a relative time"),
                post(id="9006", text=42),
            )
        },
        {
            "1:2": f"{NOT_NULL}(id)",
            "1:3": f"{REGEX}(id)",
            "1:4": f"{NOT_NULL}(created_at)",
            "1:5": f"{REGEX}(created_at)",
            "1:6": f"{IN_SET}(text type)",
        },
    ),
    "email": (
        {
            "1.eml": mail(),
            "2.eml": mail(drop=("Message-ID",), message_id=""),
            "3.eml": mail(message_id=" "),
            "4.eml": mail(drop=("Date",), message_id="<m4@example.cn>"),
            "5.eml": mail(headers={"Date": "2026-10-12 10:00"}, message_id="<m5@example.cn>"),
            "6.eml": mail(
                headers={"From": "complaints@acme.example.com", "In-Reply-To": "<m1@x>", "X-Ticket-Status": "??"},
                message_id="<m6@example.cn>",
            ),
        },
        {
            "4.eml": f"{NOT_NULL}(Date)",
            "5.eml": f"{REGEX}(Date)",
            "6.eml": f"{REGEX}(X-Ticket-Status)",
        },
    ),
}


def _position(row: dict) -> str:
    """The key BREAKS uses: the position, prefixed with the file for web's CFPB exports."""
    name = Path(row["source_file"]).name
    return f"{name} {row['source_position']}" if name.startswith(("cfpb", "changed")) else row["source_position"]


@pytest.mark.parametrize("channel", sorted(BREAKS))
def test_every_expectation_of_the_raw_contract_quarantines_the_record_that_breaks_it(
    channel: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, expected = BREAKS[channel]
    # web: a good form and a good CFPB row in each export format; phone: one in each export
    # email: 2.eml and 3.eml have no (or a blank) Message-ID, which is optional: their ids come from their bytes
    good = {"web": 3, "phone": 2, "email": 3}.get(channel, 1)
    staged = run_case(tmp_path, monkeypatch, Case(channel, files))

    got = {_position(row): row for row in staged.quarantined}
    assert {position: row["check_name"] for position, row in got.items()} == expected
    reasons = {f"{e['type']}({e['kwargs']['column']})": e["meta"]["reason"] for e in _suite(channel)["expectations"]}
    for position, name in expected.items():
        assert got[position]["reason"].startswith(reasons[name]), (position, got[position]["reason"])
    assert len(staged.loaded) == good - (channel == "web" and 1)  # the CFPB JSON holds no good record
    # Every expectation of the contract is broken by one record above.
    assert set(expected.values()) == set(reasons)
    assert set(staged.summary["expectations_failed"]) >= set(reasons)


def test_every_contract_reads_only_its_landed_fields() -> None:
    for channel in BREAKS:
        suite = quality.load_suite(REPO_ROOT / "expectations" / f"{channel}.json")
        fields = quality.contract_fields(suite)
        assert len(suite.expectations) == len(_suite(channel)["expectations"])  # GX dropped none
        assert fields == _suite(channel)["meta"]["landed_fields"]
