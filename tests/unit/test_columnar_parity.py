"""The fast paths give exactly what the row paths give: rows, rejects, positions, parsed messages.

Phone CSV and web JSON lines have columnar paths; mail has a plain-message parse in place of the
feed parser.

The row path is the specification (the bad-input suite pins its reasons); the columnar path is the
fast way to the same result, so every comparison here is item by item, on every phone case, on a
generated day, and on a file whose middle the columnar reader cannot read.
"""

from __future__ import annotations

import datetime as dt
import email
from pathlib import Path

import pyarrow as pa
import pytest
from records import phone_csv, phone_row
from test_bad_input import CASES, DAY

from complaints_pipeline import pii, sample_data
from complaints_pipeline.sources import base, columnar, phone, web
from complaints_pipeline.sources import email as email_source
from complaints_pipeline.sources.base import ParseContext

GENERATED_DAY = dt.date(2026, 10, 14)


def _expand(items) -> list:
    rows = []
    for item in items:
        rows.extend(item.to_pylist() if isinstance(item, pa.Table) else [item])
    return rows


def _web_row_path(path: Path, ctx: ParseContext) -> list:
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        items = [web._jsonl_line(line, number, ctx, ctx.relative(path)) for number, line in enumerate(handle, 1)]
    return [item for item in items if item is not None]


def _both_paths(path: Path, landing: Path, day: dt.date, channel: str = "phone") -> tuple[list, list, int]:
    ctx = ParseContext(channel, landing, day, "Asia/Shanghai", "test-key")
    if channel == "phone":
        items = list(phone.parse_file(path, ctx))
        rows = list(phone._row_path(path, ctx, base.sniff_encoding(path)))
    else:
        items = list(web.parse_file(path, ctx))
        rows = _web_row_path(path, ctx)
    tables = sum(isinstance(item, pa.Table) for item in items)
    return _expand(items), rows, tables


@pytest.mark.parametrize(
    "name", sorted(n for n, c in CASES.items() if c.channel == "phone" or any(f.endswith(".jsonl") for f in c.files))
)
def test_every_case_gives_the_same_items_on_both_paths(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    folder = tmp_path / case.channel / DAY.isoformat()
    folder.mkdir(parents=True)
    for file_name, data in case.files.items():
        (folder / file_name).write_bytes(data)
        columnar_items, row_items, _ = _both_paths(folder / file_name, tmp_path, DAY, case.channel)
        assert columnar_items == row_items


@pytest.fixture(scope="module")
def generated_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("landing")
    sample_data.generate_day(GENERATED_DAY, landing, per_day=4000, seed=7)
    return landing


@pytest.fixture(scope="module")
def generated_phone_file(generated_day: Path) -> Path:
    (path,) = (generated_day / "phone" / GENERATED_DAY.isoformat()).glob("*.csv")
    return path


def test_generated_form_submissions_give_the_same_items_in_small_blocks(
    generated_day: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "BLOCK_BYTES", 32 << 10)
    (path,) = (generated_day / "web" / GENERATED_DAY.isoformat()).glob("*.jsonl")
    columnar_items, row_items, tables = _both_paths(path, generated_day, GENERATED_DAY, "web")

    assert len(row_items) > 1000 and tables > 10
    assert columnar_items == row_items


def test_a_bare_carriage_return_hands_the_rest_of_a_jsonl_file_to_the_row_path(
    generated_day: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "BLOCK_BYTES", 32 << 10)
    (source,) = (generated_day / "web" / GENERATED_DAY.isoformat()).glob("*.jsonl")
    lines = source.read_bytes().split(b"\n")
    middle = len(lines) // 2
    folder = tmp_path / "web" / GENERATED_DAY.isoformat()
    folder.mkdir(parents=True)
    path = folder / "s.jsonl"
    path.write_bytes(b"\n".join([*lines[:middle], lines[middle] + b"\r" + lines[middle + 1], *lines[middle + 2 :]]))

    columnar_items, row_items, tables = _both_paths(path, tmp_path, GENERATED_DAY, "web")

    assert tables >= 1
    assert columnar_items == row_items


def test_a_generated_day_gives_the_same_items_in_small_batches(
    generated_phone_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phone, "BLOCK_BYTES", 64 << 10)
    landing = generated_phone_file.parents[2]
    columnar_items, row_items, tables = _both_paths(generated_phone_file, landing, GENERATED_DAY)

    assert len(row_items) > 1500
    assert tables > 10  # the columnar path did the work, in many batches
    assert columnar_items == row_items


def test_a_ragged_row_mid_file_hands_the_rest_to_the_row_path(
    generated_phone_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phone, "BLOCK_BYTES", 64 << 10)
    lines = generated_phone_file.read_bytes().split(b"\n")
    middle = len(lines) // 2
    while lines[middle].count(b'"') % 2:  # insert between whole rows, not inside a quoted note
        middle += 1
    folder = tmp_path / "phone" / GENERATED_DAY.isoformat()
    folder.mkdir(parents=True)
    path = folder / "calls.csv"
    path.write_bytes(b"\n".join([*lines[:middle], b"T-ragged,2026-10-14 09:00:00,only three", *lines[middle:]]))

    columnar_items, row_items, tables = _both_paths(path, tmp_path, GENERATED_DAY)

    assert tables > 1
    assert columnar_items == row_items
    (ragged,) = [item for item in row_items if isinstance(item, phone.Reject) and "has 3 cells" in item.reason]
    assert ragged.raw_record == "T-ragged,2026-10-14 09:00:00,only three"


def test_a_row_the_columnar_rules_doubt_keeps_its_place(tmp_path: Path) -> None:
    folder = tmp_path / "phone" / DAY.isoformat()
    folder.mkdir(parents=True)
    path = folder / "calls.csv"
    rows = [phone_row(ticket_no="T1"), phone_row(ticket_no=" T2 ", severity=" 2"), phone_row(ticket_no="T2")]
    path.write_bytes(phone_csv(*rows))

    columnar_items, row_items, _ = _both_paths(path, tmp_path, DAY)

    assert columnar_items == row_items
    assert [row["source_position"] for row in columnar_items] == ["1", "2", "3"]
    assert columnar_items[1]["severity"] == 2  # " 2" went the row path and was read as 2


@pytest.mark.parametrize("key", ["k", "x" * 100, "密钥"])
def test_customer_keys_are_the_same_keyed_hash(key: str) -> None:
    identities = ["AC1", " Ab@x.COM ", None, "", "  ", "İstanbul", "电话13800000000"]
    hashed = columnar.customer_keys(pa.array(identities, pa.string()), key).to_pylist()
    assert hashed == [pii.customer_key(value, key) for value in identities]
    assert hashed[2] is None and hashed[3] is None and hashed[4] is None


# ---------------------------------------------------------------- email: the plain-message parse


def _tree(message) -> tuple:
    payload = message._payload
    parts = [_tree(part) for part in payload] if isinstance(payload, list) else payload
    return message._headers, message.get_default_type(), parts


TRICKY_MAILS = {
    "crlf line ends": b"Subject: hi\r\nMessage-ID: <1@x>\r\n\r\nbody\r\nmore\r\n",
    "folded header": b"Subject: a very\n long subject\n\tcontinued\nMessage-ID: <2@x>\n\nbody\n",
    "8-bit header": "Subject: 路由器\nFrom: 王 <w@x>\n\n正文\n".encode(),
    "no blank line": b"Subject: hi\nthis is not a header\nbody\n",
    "nested multipart": (
        b'Content-Type: multipart/mixed; boundary="o"\n\n--o\nContent-Type: multipart/alternative; boundary="i"\n\n'
        b"--i\n\ninner\n--i--\n--o--\n"
    ),
    "preamble and epilogue": (
        b'Content-Type: multipart/alternative; boundary="b"\n\npreamble\n--b\nContent-Type: text/plain\n\n'
        b"one=\n\n--b \nContent-Type: text/html\n\n<p>two</p>\n\n--b--\nepilogue\n"
    ),
    "no close boundary": b'Content-Type: multipart/alternative; boundary="b"\n\n--b\n\nonly part\n',
    "part without headers": b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nbare\n--b--\n',
    "boundaries back to back": b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n--b\n\nx\n--b--\n',
    "forwarded message": b"Content-Type: message/rfc822\n\nSubject: inner\n\nbody\n",
    "base64 multipart": (
        b'Content-Type: multipart/alternative; boundary="b"\nContent-Transfer-Encoding: base64\n\n--b\n\nx\n--b--\n'
    ),
    "unix-from inside": b"Subject: a\nFrom someone\n\nbody\n",
    "bare carriage returns": b"Subject: a\rMessage-ID: <3@x>\r\rbody\r",
}


# What the plain-message parse takes on; the rest it leaves to the feed parser.
PLAIN = {"crlf line ends", "folded header", "8-bit header", "preamble and epilogue", "part without headers"}
PLAIN |= {"bare carriage returns"}


@pytest.mark.parametrize("name", sorted(TRICKY_MAILS))
def test_the_plain_message_parse_builds_what_the_feed_parser_builds_or_declines(name: str) -> None:
    data = TRICKY_MAILS[name]
    fast = email_source.fast_message(data)
    assert (fast is not None) == (name in PLAIN)
    if fast is not None:
        assert _tree(fast) == _tree(email.message_from_bytes(data))


def test_generated_mail_parses_the_same_and_mostly_on_the_fast_parse(generated_day: Path) -> None:
    folder = generated_day / "email" / GENERATED_DAY.isoformat()
    messages = [path.read_bytes() for path in sorted(folder.glob("*.eml"))]
    for mbox in sorted(folder.glob("*.mbox")):
        messages += [data for _, data in email_source.mbox_messages(mbox) if data is not None]
    fast = [email_source.fast_message(data) for data in messages]

    assert len(messages) > 500
    assert sum(m is not None for m in fast) >= 0.95 * len(messages)
    for data, message in zip(messages, fast, strict=True):
        if message is not None:
            assert _tree(message) == _tree(email.message_from_bytes(data))


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.channel == "email"))
def test_every_email_case_parses_the_same(name: str, tmp_path: Path) -> None:
    for file_name, data in CASES[name].files.items():
        (tmp_path / file_name).write_bytes(data)
        if file_name.endswith(".mbox"):
            messages = [d for _, d in email_source.mbox_messages(tmp_path / file_name) if d is not None]
        else:
            messages = [data]
        for message_bytes in messages:
            fast = email_source.fast_message(message_bytes)
            if fast is not None:
                assert _tree(fast) == _tree(email.message_from_bytes(message_bytes))


def _mbox_line_by_line(path: Path) -> list[tuple[str, bytes | None]]:
    """The mbox rules read one line at a time: the specification the block reader must meet."""
    found, number, offset, position, lines, readable = [], 0, 0, None, [], False
    with path.open("rb") as handle:
        for line in handle:
            if line.startswith(b"From "):
                if position is not None:
                    found.append((position, b"".join(lines) if readable else None))
                readable = bool(email_source._MBOX_FROM.match(line.rstrip(b"\r\n")))
                number += readable
                position, lines = (str(number) if readable else f"byte {offset}"), []
            elif position is None:
                if line.strip():
                    position, readable, lines = f"byte {offset}", False, [line]
            else:
                lines.append(line[1:] if line.startswith(b">From ") else line)
            offset += len(line)
    if position is not None:
        found.append((position, b"".join(lines) if readable else None))
    return found


MBOXES = {
    "plain": b"From a@x Mon Oct 12 09:00:00 2026\nSubject: 1\n\nbody\n>From here\n\n"
    b"From b@x Mon Oct 12 09:01:00 2026\n\nx",
    "preamble": b"\n  \nstray text\nmore\nFrom a@x Mon Oct 12 09:00:00 2026\n\nbody\n",
    "broken separator": b"From a@x Mon Oct 12 09:00:00 2026\n\none\nFrom nobody\n\ntwo\n"
    b"From c@x Mon Oct 12 09:02:00 2026\n",
    "crlf": b"From a@x Mon Oct 12 09:00:00 2026\r\nSubject: 1\r\n\r\n>From x\r\nbody\r\n",
    "escaped first line": b"From a@x Mon Oct 12 09:00:00 2026\n>From the start\n",
    "only blank lines": b"\n\n\n",
}


@pytest.mark.parametrize("name", sorted(MBOXES))
@pytest.mark.parametrize("block", [7, 64, 1 << 20])
def test_the_block_mbox_reader_splits_as_the_line_reader(
    name: str, block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(email_source, "MBOX_BLOCK_BYTES", block)
    path = tmp_path / "m.mbox"
    path.write_bytes(MBOXES[name])
    assert list(email_source.mbox_messages(path)) == _mbox_line_by_line(path)


def test_a_generated_mbox_splits_as_the_line_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(email_source, "MBOX_BLOCK_BYTES", 4096)
    monkeypatch.setattr(sample_data.mail, "MBOX_THRESHOLD", 100)  # the day's mail lands as one mbox
    landing = tmp_path / "landing"
    sample_data.generate_day(GENERATED_DAY, landing, per_day=4000, seed=3)
    (path,) = (landing / "email" / GENERATED_DAY.isoformat()).glob("*.mbox")
    split = list(email_source.mbox_messages(path))
    assert len(split) > 600
    assert split == _mbox_line_by_line(path)
