"""The service mailbox: .eml messages, or one mbox on a big day, with auto-replies and bounces."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from complaints_pipeline.sample_data.model import _Day
from complaints_pipeline.sample_data.parameters import _MONTHS, MBOX_THRESHOLD, SKIP_KINDS, WEEKDAY_NAMES, Rows
from complaints_pipeline.sample_data.texts import COMPANY_MAILBOX, SALUTATIONS, SIGNOFFS, SUBJECTS
from complaints_pipeline.sample_data.writer import _Writer


class _EmailWriter(_Writer):
    channel = "email"

    def __init__(self, ctx: _Day, total: int) -> None:
        super().__init__(ctx, total)
        self.mbox_path: Path | None = None
        self.handle = None
        if total > MBOX_THRESHOLD:
            self.mbox_path = self.dir / f"mailbox_{ctx.day.isoformat()}.mbox"
            self.handle = self.mbox_path.open("wb")

    def write(self, rows: Rows, i: int, kind: str | None) -> tuple[str, str]:
        self.position += 1
        msg = _email_message(rows, i, self.position, self.ctx, None if kind in SKIP_KINDS["email"] else kind)
        if kind in SKIP_KINDS["email"]:
            _not_a_complaint(msg, kind)
        self.last_id = f"EM-{hashlib.sha1(str(msg['Message-ID']).strip().encode()).hexdigest()[:16]}"
        return self._put(msg, rows["email"][i], rows["utc"][i])

    def _put_bytes(self, data: bytes, sender: str, epoch: int) -> None:
        if self.handle is None:
            (self.dir / f"{self.position}.eml").write_bytes(data)
            return
        self.handle.write(f"From {sender} {_asctime(epoch)}\n".encode() + data + b"\n")

    def _put(self, msg: EmailMessage, sender: str, epoch: int) -> tuple[str, str]:
        if self.handle is None:
            path = self.dir / f"{self.position}.eml"
            path.write_bytes(msg.as_bytes())
            return self.rel(path), path.name
        msg.set_unixfrom(f"From {sender} {_asctime(epoch)}")
        BytesGenerator(self.handle, mangle_from_=True).flatten(msg, unixfrom=True)
        self.handle.write(b"\n")
        return self.rel(self.mbox_path), str(self.position)

    def write_update(self, rows: Rows, i: int, received: _Day, position: int, events: list[tuple[str, int]]) -> int:
        """The service's replies in the complaint's thread (answered, resolved), and the customer writing
        again when it is reopened."""
        original = _message_id(received, position, rows["email"][i])
        for event, at in events:
            self.position += 1
            customer = event == "reopen"
            sender = rows["email"][i] if customer else COMPANY_MAILBOX
            token = hashlib.sha1(f"{original}/{event}".encode()).hexdigest()[:12]
            domain = sender.split("@")[1]
            headers = [
                f"From: {sender}",
                f"To: {COMPANY_MAILBOX if customer else rows['email'][i]}",
                f"Subject: {'Re: still not fixed' if customer else 'Re: your complaint'}",
                f"Date: {format_datetime(dt.datetime.fromtimestamp(at, tz=self.ctx.clock.tz))}",
                f"Message-ID: <{token}.{event}@{domain}>",
                f"In-Reply-To: {original}",
                f"References: {original}",
                *([] if customer else [f"X-Ticket-Status: {'pending' if event == 'first' else 'solved'}"]),
                "MIME-Version: 1.0",
                'Content-Type: text/plain; charset="utf-8"',
                "Content-Transfer-Encoding: 7bit",
            ]
            body = "It is broken again." if customer else "Thank you for your message; we are on it."
            # Written as text (plain ASCII): building an EmailMessage per reply costs milliseconds each.
            self._put_bytes(("\n".join(headers) + "\n\n" + body + "\n").encode(), sender, at)
        return len(events)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _not_a_complaint(msg: EmailMessage, kind: str) -> None:
    """Turn a drawn message into an auto-reply or a bounce."""
    subject = dict(msg.raw_items())["Subject"]  # as encoded (RFC 2047), not the decoded text
    del msg["Subject"]
    if kind == "auto_reply":
        msg.set_raw("Subject", "Automatic reply: " + subject)
        msg.set_raw("Auto-Submitted", "auto-replied")
    else:
        del msg["From"]
        msg.set_raw("From", "MAILER-DAEMON@mail.example.net")
        msg.set_raw("Subject", "Undelivered Mail Returned to Sender")


def _asctime(epoch: int) -> str:
    """mbox 'From ' line time, spelled out here because strftime's names follow the locale."""
    t = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return f"{WEEKDAY_NAMES[t.weekday()][:3]} {_MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S} {t.year}"


def _email_charset(lang: str, u1: float) -> str:
    if lang == "en":
        return "utf-8"
    return "gbk" if u1 < 0.25 else "gb18030" if u1 < 0.45 else "utf-8"


def _encoded(value: str, charset: str, name: str) -> str:
    """An RFC 2047 header value in the message's own charset, as Chinese mail clients write it."""
    return value if value.isascii() else Header(value, charset, header_name=name).encode()


def _message_id(ctx: _Day, seq: int, address: str) -> str:
    """The Message-ID of the day's seq-th message, sent from address."""
    token = hashlib.sha1(f"{ctx.seed}/{ctx.day}/{seq}".encode()).hexdigest()[:12]
    return f"<{ctx.ymd}{seq:07d}.{token}@{address.split('@')[1]}>"


def _email_message(rows: Rows, i: int, seq: int, ctx: _Day, kind: str | None) -> EmailMessage:
    lang, product = rows["lang"][i], rows["product"][i]
    u0, u1, u2 = rows["u"][i]
    picks = rows["picks"][i]
    charset = _email_charset(lang, u1)
    msg = EmailMessage()
    # set_raw keeps the pre-encoded words as written: assigning msg[...] would re-encode them in UTF-8.
    msg.set_raw("From", formataddr((rows["name"][i], rows["email"][i]), charset=charset))
    msg.set_raw("To", COMPANY_MAILBOX)
    subjects = SUBJECTS[lang]
    msg.set_raw("Subject", _encoded(subjects[picks[2] % len(subjects)].format(product=product), charset, "Subject"))
    if kind != "missing_date":
        # A tenth of the senders' mail clients are set to UTC; the instant is the same either way.
        offset = 0 if u2 < 0.1 else rows["offset"][i]
        sent = dt.datetime.fromtimestamp(rows["utc"][i], tz=dt.timezone(dt.timedelta(seconds=offset)))
        msg.set_raw("Date", format_datetime(sent))
    token = hashlib.sha1(f"{ctx.seed}/{ctx.day}/{seq}".encode()).hexdigest()[:12]
    msg.set_raw("Message-ID", _message_id(ctx, seq, rows["email"][i]))
    if kind == "empty_body":
        msg.set_content("", charset=charset)
        return msg
    plain, markup = _email_bodies(rows, i)
    if u0 < 0.55:
        msg.set_content(plain, charset=charset)
    elif u0 < 0.93:
        msg.set_content(plain, charset=charset)
        msg.add_alternative(markup.replace("{charset}", charset), subtype="html", charset=charset)
        # The generator would otherwise draw a random boundary, and the files must be byte-identical.
        msg.set_boundary(f"=_{token}{seq:07d}")
    else:
        msg.set_content(markup.replace("{charset}", charset), subtype="html", charset=charset)
    return msg


def _email_bodies(rows: Rows, i: int) -> tuple[str, str]:
    """The text/plain body and its HTML twin, both ending with the mail form's three lines."""
    lang, picks = rows["lang"][i], rows["picks"][i]
    salutation = SALUTATIONS[lang][picks[4] % 3]
    signoff = SIGNOFFS[lang][picks[3] % 3]
    form = [f"Product: {rows['product'][i]}", f"Region: {rows['region'][i]}", f"Account: {rows['account'][i]}"]
    plain = f"{salutation}\n\n{rows['text'][i]}\n\n{signoff}\n{rows['name'][i]}\n\n" + "\n".join(form) + "\n"
    esc = html.escape
    markup = (
        '<html><head><meta charset="{charset}"></head><body>\n'
        f"<p>{esc(salutation)}</p>\n<p>{esc(rows['text'][i])}</p>\n"
        f"<p>{esc(signoff)}<br>\n{esc(rows['name'][i])}</p>\n"
        "<p>" + "<br>\n".join(esc(line) for line in form) + "</p>\n</body></html>\n"
    )
    return plain, markup
