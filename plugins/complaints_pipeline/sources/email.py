"""Email channel: RFC 5322 messages (.eml files and mbox files) into canonical rows.

text/plain is preferred over HTML. Charset labels are read as the superset real mail uses (GB2312 as
GB18030). A reply belongs to its thread's complaint, as a version of it: from the service's mailbox
(COMPLAINTS_SERVICE_MAILBOXES) it is a response (its `X-Ticket-Status` header, when the help desk sets one,
says whether it resolved the case); from anyone else it is the customer writing again, which after a
resolution reopens the complaint. Auto-replies and bounces are counted, not loaded.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email
import email.header
import email.utils
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32
from pathlib import Path

from complaints_pipeline import pii
from complaints_pipeline.sources import base
from complaints_pipeline.sources.base import FieldError, ParseContext, Reject, Skip

# Mail labelled with a legacy charset is often written in its superset.
CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}

_FOOTER = re.compile(r"^\s*(Product|Region|Account)\s*:\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response)|out of (the )?office|autoreply|自动回复|休假)", re.IGNORECASE
)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver(ed|able)|delivery status notification|returned mail|mail delivery failed|退信|投递失败)",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_MBOX_FROM = re.compile(rb"^From \S+ .*\d{4}\s*$")


def complaint_id_for(message_id: str) -> str:
    """The complaint id of the thread a Message-ID starts."""
    return f"EM-{hashlib.sha1(message_id.strip().encode()).hexdigest()[:16]}"


def _codec(charset: str | None) -> str | None:
    """The codec a charset label names (its superset), None when Python knows no such codec."""
    label = (charset or "utf-8").strip().strip('"').lower()
    label = CHARSET_SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


_FOLD = re.compile(r"\s*[\r\n]+[ \t]*")


def decode_header(value: object) -> str:
    """An RFC 2047 header as one line of text: each encoded word decoded with its charset's superset (or,
    where that label is unknown or wrong, the charset detected), folded lines unfolded."""
    if value is None:
        return ""
    parts = []
    for chunk, charset in email.header.decode_header(str(value)):
        if isinstance(chunk, bytes):
            encoding = base.detect_encoding(chunk, _codec(charset)) or "utf-8"
            parts.append(chunk.decode(encoding, errors="replace"))
        else:
            parts.append(chunk)
    return _FOLD.sub(" ", "".join(parts)).strip()


def _part_text(part: Message) -> str:
    """A text part's payload as text: in its declared charset when the bytes are valid in it, else in the
    charset detected (base.detect_encoding). UnicodeError when neither reads it: the caller rejects."""
    payload = part.get_payload(decode=True) or b""
    label = part.get_content_charset()
    encoding = base.detect_encoding(payload, _codec(label))
    if encoding is None:
        raise UnicodeError(f"neither its declared charset {label or 'utf-8'!r} nor a detected one reads it")
    return payload.decode(encoding)


def _texts(part: Message) -> list[str]:
    """Every text part of a message, in order: of an alternative, the plain text (else the HTML's
    text); attachments left out; a multipart without boundaries, as its text."""
    if part.get_content_disposition() == "attachment":
        return []
    maintype, subtype = part.get_content_maintype(), part.get_content_subtype()
    if part.is_multipart():
        children = part.get_payload()
        if subtype == "alternative":
            for wanted in ("text/plain", "text/html"):
                chosen = next((child for child in children if child.get_content_type() == wanted), None)
                if chosen is not None:
                    return _texts(chosen)
        return [text for child in children for text in _texts(child)]
    if maintype == "text" and subtype == "html":
        return [(base.html_to_text(_part_text(part)) or "").strip()]
    if maintype in ("text", "multipart") or not part.get_content_type():
        # A multipart whose boundary never appears is read as the text it holds.
        return [_part_text(part).strip()]
    return []


def body_text(message: Message) -> str:
    """All text parts, in order, separated by a blank line."""
    return "\n\n".join(text for text in _texts(message) if text)


# Where a reply's quoted history starts: "On <date>, <someone> wrote:" (on one line or two),
# "<date>，<someone> 写道：", an "Original Message" rule, or an Outlook header block (From:, then Sent: or
# Date:). The history (other people's names and words) is not the customer's complaint: cut.
_QUOTE_HEADER = re.compile(
    r"^[ \t>]*(?:On\b[^\n]{0,200}(?:\n[^\n]{0,200})?\bwrote:[ \t]*$"
    r"|[^\n]{0,80}\d{4}年\d{1,2}月\d{1,2}日[^\n]{0,200}写道[:：][ \t]*$"
    r"|-{2,}[ \t]*(?:Original Message|Forwarded message|原始邮件|转发邮件)[ \t]*-{2,}"
    r"|(?:From|发件人)[:：][^\n]*\n[ \t>]*(?:Sent|Date|发送时间|时间)[:：])",
    re.MULTILINE | re.IGNORECASE,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.MULTILINE)


def latest_reply(text: str) -> str:
    """The text a person wrote in this message: quoted history (after a reply header) and quoted lines
    ("> ...") left out."""
    header = _QUOTE_HEADER.search(text)
    if header is not None and header.start() > 0:
        text = text[: header.start()]
    return _QUOTED_LINE.sub("", text).strip()


# The headers expectations/email.json (the raw contract) judges, as they landed.
CONTRACT_FIELDS = ("Message-ID", "Date", "X-Ticket-Status")


def _received_at(message: Message) -> dt.datetime | None:
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


def _not_a_complaint(message: Message, subject: str, sender: str) -> tuple[str, str] | None:
    """(kind, reason) for delivery-failure reports (RFC 3464, or from a mailer daemon) and automatic
    replies (RFC 3834's Auto-Submitted, the headers vacation responders set, an out-of-office subject).
    A mailing list's Precedence (bulk, list) says nothing about who wrote the message: a person's reply
    on a list is a reply."""
    content_type = message.get_content_type()
    report_type = (message.get_param("report-type") or "").lower() if content_type == "multipart/report" else ""
    if report_type == "delivery-status" or _BOUNCE_SENDER.match(sender) or _BOUNCE_SUBJECT.search(subject):
        return "bounce", f"a delivery-failure notice ({subject or 'no subject'}), not a complaint"
    auto_submitted = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    if (
        auto_submitted != "no"
        or message.get("X-Autoreply")
        or message.get("X-Autorespond")
        or precedence == "auto_reply"
        or _AUTO_SUBJECT.search(subject)
    ):
        return "auto_reply", f"an automatic reply ({subject or 'no subject'}), not a complaint"
    return None


def _thread_root(message: Message) -> str | None:
    references = (message.get("References") or "").split()
    if references:
        return references[0]
    reply_to = base.clean(message.get("In-Reply-To"))
    return reply_to.split()[0] if reply_to else None


@dataclass(frozen=True)
class _Mail:
    """A parsed message with the headers classification already decoded, so none is decoded twice."""

    message: Message
    subject: str
    sender: str
    sender_name: str  # the From header's display name: masked wherever it appears in the text
    # The id of a message without a Message-ID (the header is optional, RFC 5322 3.6.4): from its bytes,
    # so the same message landed again gets the same id.
    derived_id: str

    @property
    def message_id(self) -> str:
        """Its Message-ID, or the id derived from its bytes."""
        return base.clean(self.message.get("Message-ID")) or self.derived_id

    def people(self, service_mailboxes: tuple[str, ...]) -> tuple[str, ...]:
        """The display names of everyone the message names in its address headers (From, To, Cc, Reply-To),
        its own and those of the messages it carries (a forward, a digest), but the service's own
        mailboxes': masked in its text."""
        names = []
        carried = [p for p in self.message.walk() if p.get("From")][1:] if self.message.is_multipart() else []
        for part in (self.message, *carried):
            # The message's own From is parsed once already: its name is sender_name.
            for header in ("To", "Cc", "Reply-To") if part is self.message else ("From", "To", "Cc", "Reply-To"):
                for value in part.get_all(header) or ():
                    text = str(value)
                    if "<" not in text and "(" not in text and "=?" not in text:
                        continue  # bare addresses: no name to parse (most mail; the parse is slow)
                    for name, address in email.utils.getaddresses([decode_header(text)]):
                        if name and address.lower() not in service_mailboxes:
                            names.append(name)
        return tuple(dict.fromkeys(names))

    def masked_subject(self, people: tuple[str, ...], *known: str | None) -> str | None:
        return pii.mask_text(self.subject, (self.sender_name, *people, *known))


def _mail_row(
    mail: _Mail,
    ctx: ParseContext,
    source_file: str,
    position: str,
    *,
    thread: str,
    people: tuple[str, ...],
    known: tuple[str | None, ...] = (),
    identity: str | None,
    text: str | None,
    extra: dict[str, object] | None = None,
    **fields: object,
) -> dict:
    """A message as a version of the complaint of its thread (whose first Message-ID is thread): its sender's
    and the people's names and the known identities masked in its text and subject; its Message-ID in extra."""
    return base.canonical_row(
        ctx,
        source_file,
        position,
        source_record_id=complaint_id_for(thread)[3:],
        identity=identity,
        known=(mail.sender_name, *known, *people),
        text=text,
        extra={"message_id": mail.message_id, **(extra or {}), "subject": mail.masked_subject(people, *known)},
        **fields,
    )


def _to_row(mail: _Mail, ctx: ParseContext, source_file: str, position: str) -> dict:
    message = mail.message
    body = body_text(message)
    footer = {key.lower(): value for key, value in _FOOTER.findall(body)}
    text = latest_reply(_FOOTER.sub("", body))
    account = base.clean(footer.get("account"))
    return _mail_row(
        mail,
        ctx,
        source_file,
        position,
        thread=mail.message_id,
        people=mail.people(ctx.service_mailboxes),
        known=(account,),
        identity=account or base.clean(mail.sender),
        text=text,
        received_at=_received_at(message),
        product=base.clean(footer.get("product")) or base.find_product(text),
        region=(base.clean(footer.get("region")) or "").lower() or None,
    )


# What a help desk's X-Ticket-Status header may say, as this pipeline's statuses.
_TICKET_STATUS = {
    "open": "open",
    "pending": "in_progress",
    "in progress": "in_progress",
    "in_progress": "in_progress",
    "solved": "resolved",
    "resolved": "resolved",
    "closed": "closed",
}


def _reply_row(mail: _Mail, ctx: ParseContext, source_file: str, position: str) -> dict:
    """A reply in a complaint's thread as a version of that complaint (the thread's first Message-ID)."""
    message = mail.message
    root = _thread_root(message)
    sent = _received_at(message)
    if sent is None:
        raise FieldError("Date", None, "the reply has no Date header: when it was sent is unknown")
    from_service = mail.sender.lower() in ctx.service_mailboxes
    status = None
    if from_service:
        label = base.clean(message.get("X-Ticket-Status"))
        status = _TICKET_STATUS.get((label or "in progress").lower())
        if status is None:
            raise FieldError("X-Ticket-Status", label, f"X-Ticket-Status {label!r} is not a status this pipeline knows")
    resolved = status in ("resolved", "closed")
    body = latest_reply(_FOOTER.sub("", body_text(message))) or None
    return _mail_row(
        mail,
        ctx,
        source_file,
        position,
        thread=root,
        people=mail.people(ctx.service_mailboxes),
        identity=None,  # the thread names the complaint; a reply is not keyed to anyone again
        # The service's words are not the customer's complaint; the customer's follow-up is.
        text=None if from_service else body,
        extra={"in_reply_to": root},
        version_at=sent,
        version_kind="event" if from_service else "customer_reply",
        status=status,
        first_response_at=sent if from_service else None,
        resolved_at=sent if resolved else None,
    )


# ---------------------------------------------------------------- a faster parse for plain messages

# The feed parser's patterns (email.feedparser): a header line (name, colon), a line end at the end.
_HEADER_LINE = re.compile(r"[\041-\071\073-\176]+:")
_LINE_ENDS = re.compile(r"(\r\n|\r|\n)")
_EOL = re.compile(r"(\r\n|\r|\n)\Z")


def _lines(text: str) -> list[str]:
    """Lines with their ends, split where the feed parser splits them (\\r\\n, \\r, \\n; no other)."""
    if "\r" in text:
        pieces = _LINE_ENDS.split(text)
        lines = [pieces[i] + pieces[i + 1] for i in range(0, len(pieces) - 1, 2)]
    else:
        pieces = text.split("\n")
        lines = [piece + "\n" for piece in pieces[:-1]]
    return lines + [pieces[-1]] if pieces[-1] else lines


def _entity(lines: list[str], start: int, end: int, nested: bool) -> tuple[Message, int] | None:
    """A Message with the headers of lines[start:end] and the index where its body starts; None when
    the headers hold anything the feed parser treats specially (a defect, a unix-from line)."""
    message = Message()
    fields: list[list[str]] = []
    index = start
    while index < end:
        line = lines[index]
        index += 1
        if line[0] in " \t":
            if not fields:
                return None
            fields[-1].append(line)
        elif _HEADER_LINE.match(line):
            fields.append([line])
        elif line[0] in "\r\n":
            break  # the blank line between headers and body
        else:
            return None  # no blank line before the body: the feed parser records a defect
    for field in fields:
        message.set_raw(*compat32.header_source_parse(field))
    maintype = message.get_content_maintype()
    if maintype == "message" or (nested and maintype == "multipart"):
        return None
    return message, index


def fast_message(data: bytes) -> Message | None:
    """What email.message_from_bytes() builds (compat32), for single-part messages and one level of
    multipart (alternative, mixed, related): the same headers and payloads, without the feed parser's
    line-by-line machinery and its regular expression compiled for each boundary. None for anything
    else, which the feed parser then reads."""
    lines = _lines(data.decode("ascii", errors="surrogateescape"))
    found = _entity(lines, 0, len(lines), nested=False)
    if found is None:
        return None
    message, body = found
    if message.get_content_maintype() != "multipart":
        message.set_payload("".join(lines[body:]))
        return message
    boundary = message.get_boundary()
    encoding = str(message.get("content-transfer-encoding", "8bit")).lower()
    if boundary is None or encoding not in ("7bit", "8bit", "binary") or message.get_content_subtype() == "digest":
        return None
    separator = "--" + boundary
    marks: list[int] = []
    closed = False
    for index in range(body, len(lines)):
        line = lines[index]
        if not line.startswith(separator):
            continue
        rest = line[len(separator) :]
        end = rest.startswith("--")
        if _EOL.sub("", rest[2:] if end else rest).strip(" \t"):
            continue  # only a separator followed by blanks is a boundary
        marks.append(index)
        if end:
            closed = True
            break
    if not closed or len(marks) < 2:
        return None
    for first, after in zip(marks, marks[1:], strict=False):
        if after == first + 1:
            return None  # boundaries back to back: the feed parser skips them in its own way
        found = _entity(lines, first + 1, after, nested=True)
        if found is None:
            return None
        part, part_body = found
        payload = "".join(lines[part_body:after])
        part.set_payload(_EOL.sub("", payload))  # the line end before a boundary belongs to the boundary
        message.attach(part)
    return message


def _classify(data: bytes, ctx: ParseContext, source_file: str, position: str) -> dict | Reject | Skip:
    raw = data.decode("utf-8", errors="replace")
    if not data.strip():
        return Reject(source_file, position, raw, "the message is empty (zero bytes)")
    try:
        message = fast_message(data) or email.message_from_bytes(data)
        subject = decode_header(message.get("Subject"))
        sender_name, sender = email.utils.parseaddr(decode_header(message.get("From")))
        skip = _not_a_complaint(message, subject, sender)
        if skip is not None:
            return Skip(source_file, position, *skip)
        landed = {name: None if message.get(name) is None else str(message.get(name)) for name in CONTRACT_FIELDS}
        to_row = _to_row if _thread_root(message) is None else _reply_row
        return base.row_or_reject(
            to_row,
            _Mail(message, subject, sender, sender_name, f"<{hashlib.sha256(data).hexdigest()[:32]}@derived.invalid>"),
            ctx,
            source_file,
            position,
            raw,
            landed,
        )
    except LookupError as error:  # a charset label Python does not know
        return Reject(source_file, position, raw, f"the message's charset cannot be decoded ({error})")
    except UnicodeError as error:
        return Reject(source_file, position, raw, f"the message's text is not valid in its charset ({error})")
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
        # The email package on hostile bytes (a NUL in a charset label, a broken parameter): the message,
        # not the day, is lost to it, and a person can see why.
        return Reject(
            source_file, position, raw[:10_000], f"the message cannot be read ({type(error).__name__}: {error})"
        )
    except RecursionError:  # the email package's address and MIME parsers recurse on nesting
        return Reject(
            source_file,
            position,
            raw[:10_000],
            "the message is nested too deeply to read (a header's comments or MIME parts)",
        )


# Bytes of an mbox read at a time; a message may span blocks.
MBOX_BLOCK_BYTES = 8 << 20
_SEPARATOR_LINE = re.compile(rb"^From [^\n]*\n?", re.MULTILINE)


def mbox_messages(path: Path) -> Iterator[tuple[str, bytes | None]]:
    """(message number, bytes) per message of an mbox, read in blocks so a large mailbox is never
    held whole ('>From ' escaping undone). Text before the first separator, or after a separator that
    is not a valid 'From <sender> <date>' line, comes as ('byte <offset>', None): not lost, rejected."""
    number = 0
    position: str | None = None
    readable = False
    pieces: list[bytes] = []
    offset = 0  # of the block in the file
    with path.open("rb") as handle:
        carry = b""
        while True:
            chunk = handle.read(MBOX_BLOCK_BYTES)
            block = carry + chunk
            carry = b""
            if chunk:  # whole lines only: a block starts where a line starts
                cut = block.rfind(b"\n") + 1
                block, carry = block[:cut], block[cut:]
            start = 0
            for separator in _SEPARATOR_LINE.finditer(block):
                if position is None:
                    position = _preamble(block[start : separator.start()], offset + start)
                elif readable:
                    pieces.append(block[start : separator.start()])
                if position is not None:
                    yield position, _unescaped(pieces) if readable else None
                readable = bool(_MBOX_FROM.match(separator.group().rstrip(b"\r\n")))
                if readable:
                    number += 1
                position = str(number) if readable else f"byte {offset + separator.start()}"
                pieces = []
                start = separator.end()
            if position is None:
                position = _preamble(block[start:], offset + start)
            elif readable:
                pieces.append(block[start:])
            offset += len(block)
            if not chunk:
                break
    if position is not None:
        yield position, _unescaped(pieces) if readable else None


def _preamble(text: bytes, offset: int) -> str | None:
    """'byte <offset>' of the first line with text before any separator, else None."""
    for line in text.split(b"\n"):
        if line.strip():
            return f"byte {offset}"
        offset += len(line) + 1
    return None


def _unescaped(pieces: list[bytes]) -> bytes:
    """A message's lines as they were before mbox quoted its 'From ' lines as '>From '."""
    data = b"".join(pieces)
    if data.startswith(b">From "):
        data = data[1:]
    return data.replace(b"\n>From ", b"\nFrom ")


def parse_file(path: Path, ctx: ParseContext) -> Iterator[dict | Reject | Skip]:
    source_file = ctx.relative(path)
    if path.suffix != ".mbox":
        yield _classify(path.read_bytes(), ctx, source_file, path.name)
        return
    for position, data in mbox_messages(path):
        if data is None:
            reason = "text that does not follow a valid mbox 'From <sender> <date>' line"
            yield Reject(source_file, position, "", reason)
        else:
            yield _classify(data, ctx, source_file, position)
