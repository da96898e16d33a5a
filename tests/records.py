"""Builders of valid landed records for every channel's formats, shared by the tests (unit and end to end):
each returns a record as its source writes it; keyword arguments override fields."""

from __future__ import annotations

import copy
import csv
import io
import json
from email.message import EmailMessage
from pathlib import Path

from complaints_pipeline.sources.cfpb import CFPB_COLUMNS
from complaints_pipeline.sources.phone import COLUMNS as PHONE_COLUMNS

__all__ = [
    "PHONE_COLUMNS",
    "cfpb",
    "cfpb_csv",
    "form",
    "jsonl",
    "mail",
    "mbox",
    "phone_csv",
    "phone_row",
    "post",
    "raw_mail",
    "x_page",
]

# Each builder's default record, as data.
_DEFAULTS = json.loads((Path(__file__).parent / "fixtures" / "records.json").read_text(encoding="utf-8"))


def _default(kind: str, overrides: dict) -> dict:
    """A fresh copy of the kind's default record (nested objects too), with the overrides."""
    return copy.deepcopy(_DEFAULTS[kind]) | overrides


def phone_row(**overrides: str) -> dict[str, str]:
    return _default("phone", overrides)


def phone_csv(*rows: dict[str, str] | list[str], header=PHONE_COLUMNS, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(list(row.values()) if isinstance(row, dict) else row)
    return buffer.getvalue().encode(encoding)


def form(**overrides) -> dict:
    return _default("form", overrides)


def jsonl(*records) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records).encode()


def cfpb(**overrides: str) -> dict[str, str]:
    return dict.fromkeys(CFPB_COLUMNS, "") | _default("cfpb", overrides)


def cfpb_csv(*rows: dict[str, str], cut: int | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CFPB_COLUMNS)
    for row in rows:
        writer.writerow(row.values())
    data = buffer.getvalue().encode()
    return data[:cut] if cut else data


def mail(
    body: str = "My router is broken.\nProduct: router\nRegion: Shanghai\nAccount: 998877\n",
    charset: str = "utf-8",
    subject: str = "complaint",
    drop: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
    message_id: str = "<m1@example.cn>",
    html: str | None = None,
) -> bytes:
    message = EmailMessage()
    values = {
        "From": "Wang Fang <wang@example.cn>",
        "To": "complaints@example.com",
        "Subject": subject,
        "Message-ID": message_id,
        "Date": "Mon, 12 Oct 2026 10:00:00 +0800",
        **(headers or {}),
    }
    for name, value in values.items():
        if name not in drop:
            message[name] = value
    if html is not None:
        message.set_content(html, subtype="html", charset=charset)
    else:
        message.set_content(body, charset=charset)
    return message.as_bytes()


def raw_mail(body: bytes, charset: str, subject: bytes = b"complaint") -> bytes:
    """A message whose bytes are exactly as given: the charset label need not match the body."""
    return (
        b"From: wang@example.cn\r\nTo: complaints@example.com\r\nSubject: " + subject + b"\r\n"
        b"Message-ID: <raw1@example.cn>\r\nDate: Mon, 12 Oct 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset="
        + charset.encode()
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
        + b"\r\nProduct: router\r\n"
    )


def mbox(*messages: bytes, separators: list[bytes] | None = None) -> bytes:
    out = b""
    for n, message in enumerate(messages):
        separator = (
            (separators or [])[n] if separators and n < len(separators) else b"From a@b Mon Oct 12 10:00:00 2026"
        )
        out += separator + b"\n" + message.replace(b"\r\n", b"\n") + b"\n"
    return out


def x_page(*posts, users=None) -> bytes:
    users = users or [{"id": "u1", "username": "li", "name": "Li", "location": "Wuhan"}]
    return json.dumps(
        {"data": list(posts), "includes": {"users": users}, "meta": {"result_count": len(posts)}}
    ).encode()


def post(**overrides) -> dict:
    return _default("post", overrides)


def garble_satisfaction(export: Path) -> list[list[str]]:
    """A call-centre export whose every other call has a satisfaction the export system garbled ("n/a"), in place;
    its rows as they were read (the header first)."""
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("satisfaction")
    for row in rows[1::2]:
        row[column] = "n/a"
    with export.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return rows
