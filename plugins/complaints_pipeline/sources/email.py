"""Email channel: RFC 5322 messages (.eml files and mbox files) into canonical rows.

text/plain is preferred over HTML; the company's mail form appends Product/Region/Account lines.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import html
import mailbox
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

from complaints_pipeline.sources.base import (
    FieldError,
    ParseContext,
    Reject,
    canonical_row,
    clean,
    find_product,
    row_or_reject,
)

_FOOTER = re.compile(r"^\s*(Product|Region|Account)\s*:\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE)
_TAGS = re.compile(r"<[^>]+>")


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_subtype() == "html":
        content = html.unescape(_TAGS.sub(" ", content))
    return content.strip()


def _received_at(message: EmailMessage):
    value = message.get("Date")
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        raise FieldError("Date", str(value), f"Date header {str(value)!r} is not an RFC 5322 date") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _to_row(message: EmailMessage, ctx: ParseContext, source_file: str, position: str) -> dict:
    message_id = clean(message.get("Message-ID"))
    if message_id is None:
        raise FieldError("Message-ID", None, "the message has no Message-ID header")
    body = _body_text(message)
    footer = {key.lower(): value for key, value in _FOOTER.findall(body)}
    text = _FOOTER.sub("", body).strip()
    sender = email.utils.parseaddr(str(message.get("From", "")))[1]
    return canonical_row(
        ctx,
        source_record_id=hashlib.sha1(message_id.encode()).hexdigest()[:16],
        source_file=source_file,
        source_position=position,
        identity=clean(footer.get("account")) or clean(sender),
        text=text,
        extra={"message_id": message_id, "subject": str(message.get("Subject", ""))},
        received_at=_received_at(message),
        product=clean(footer.get("product")) or find_product(text),
        region=(clean(footer.get("region")) or "").lower() or None,
    )


def _messages(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.suffix == ".mbox":
        for number, message in enumerate(mailbox.mbox(path, create=False), start=1):
            yield str(number), message.as_bytes()
    else:
        yield path.name, path.read_bytes()


def parse_file(path: Path, ctx: ParseContext) -> Iterator[dict | Reject]:
    source_file = ctx.relative(path)
    for position, data in _messages(path):
        raw = data.decode("utf-8", errors="replace")
        try:
            message = email.message_from_bytes(data, policy=email.policy.default)
            yield row_or_reject(_to_row, message, ctx, source_file, position, raw)
        except (LookupError, UnicodeError) as error:  # unknown or lying charset label
            yield Reject(source_file, position, raw, f"the message could not be decoded ({error})")
