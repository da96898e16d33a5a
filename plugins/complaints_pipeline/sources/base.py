"""The canonical complaint row, the reject record, and helpers every channel parser shares.

docs/contract.md describes each column and which field of each channel fills it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from complaints_pipeline import pii
from complaints_pipeline.reference import CHANNEL_PREFIX, CHANNEL_SOURCES, PRODUCTS

# Column order and Arrow types of the raw tables, the staged Parquet files and GX batches.
CANONICAL_SCHEMA = pa.schema(
    [
        ("complaint_id", pa.string()),
        ("channel", pa.string()),
        ("source_record_id", pa.string()),
        ("received_at", pa.timestamp("us")),
        ("customer_key", pa.string()),
        ("product", pa.string()),
        ("category", pa.string()),
        ("severity", pa.int32()),
        ("complexity", pa.string()),
        ("region", pa.string()),
        ("status", pa.string()),
        ("first_response_at", pa.timestamp("us")),
        ("resolved_at", pa.timestamp("us")),
        ("satisfaction_score", pa.int32()),
        ("escalation_level", pa.int32()),
        ("compensation", pa.float64()),
        ("handling_minutes", pa.float64()),
        ("complaint_text", pa.string()),
        ("language", pa.string()),
        ("source_file", pa.string()),
        ("source_position", pa.string()),
        # What kind of file the record came in (reference.RECORD_SOURCES): a web day may hold form
        # submissions and CFPB exports.
        ("record_source", pa.string()),
        ("partition_date", pa.date32()),
        # The time this version of the complaint describes: the record's own update time where its format
        # has one, else the export's time (ParseContext.export_at). A complaint arrives once per version.
        ("version_at", pa.timestamp("us")),
        # What the version is (VERSION_KINDS): the complaint as a record of it stands, or an event in its
        # life that names only what changed.
        ("version_kind", pa.string()),
        ("extra", pa.string()),
    ]
)
CANONICAL_COLUMNS: tuple[str, ...] = tuple(CANONICAL_SCHEMA.names)
# snapshot: a whole record of the complaint (a ticket row, a form, a CFPB row, the first mail or post): its
#   text and received time, and its state as of version_at.
# event: a change in its life from a source that sends changes (a web status event, the service's reply
#   in a mail thread): the state after the change; text and received time may be absent.
# customer_reply: the customer writing again (a later mail in the thread, a later post in the
#   conversation): after a resolution it reopens the complaint.
VERSION_KINDS: tuple[str, ...] = ("snapshot", "event", "customer_reply")
RAW_KEY = "_raw"
# The fields the channel's raw contract (expectations/<channel>.json) judges, as they landed: a JSON
# object of texts (see landed_json()), null for a field that is absent.
LANDED_KEY = "_landed"
# What a parser hands the extract stage: canonical columns, the record as it landed, its landed fields.
STAGING_SCHEMA = CANONICAL_SCHEMA.append(pa.field(RAW_KEY, pa.string())).append(pa.field(LANDED_KEY, pa.string()))

QUARANTINE_SCHEMA = pa.schema(
    [
        ("channel", pa.string()),
        ("partition_date", pa.date32()),
        ("source_file", pa.string()),
        ("source_position", pa.string()),
        ("complaint_id", pa.string()),
        ("check_name", pa.string()),
        ("failing_column", pa.string()),
        ("failing_value", pa.string()),
        ("reason", pa.string()),
        ("raw_record", pa.string()),
    ]
)

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class ParseContext:
    channel: str
    landing_root: Path
    partition_date: dt.date
    local_tz: str
    pii_key: str
    # The service's own mail addresses (lower case): a reply from one of them is a response, not a complaint.
    service_mailboxes: tuple[str, ...] = ()
    # The service's own handles (@AcmeCare): kept in posts' texts, where every other handle is masked.
    service_handles: tuple[str, ...] = ()

    def relative(self, path: Path) -> str:
        return path.relative_to(self.landing_root).as_posix()

    @property
    def export_at(self) -> dt.datetime:
        """When the landing date's export was written, as far as a file without a time of its own tells:
        the end of that date in the business's time zone (naive UTC). A version without an update time of
        its own describes the complaint as of then."""
        return export_time(self.partition_date, self.local_tz)


def version_time(ctx: ParseContext, received_at: object) -> dt.datetime:
    """The time a record without an update time of its own describes: its export's, or its receipt if that
    is later (a mail dated just after the landing date's end, in another time zone)."""
    if isinstance(received_at, dt.datetime) and received_at > ctx.export_at:
        return received_at
    return ctx.export_at


def export_time(day: dt.date, tz: str) -> dt.datetime:
    """The end of a landing date (local midnight after it) as naive UTC."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=_zone(tz))
    return midnight.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Skip:
    """A record that is no new version of a complaint (auto-reply, bounce, repost, copy, a repeated version):
    counted, not loaded."""

    source_file: str
    source_position: str
    kind: str
    reason: str
    related_complaint_id: str | None = None


SKIPPED_SCHEMA = pa.schema(
    [
        ("channel", pa.string()),
        ("partition_date", pa.date32()),
        ("source_file", pa.string()),
        ("source_position", pa.string()),
        ("kind", pa.string()),
        ("reason", pa.string()),
        ("related_complaint_id", pa.string()),
    ]
)


@dataclass(frozen=True)
class Reject:
    """A record that could not become a canonical row, with a reason a person understands."""

    source_file: str
    source_position: str
    raw_record: str
    reason: str
    failing_column: str | None = None
    failing_value: str | None = None
    complaint_id: str | None = None
    check_name: str = "parse"
    # The record's landed fields (LANDED_KEY's JSON) when a field could not be read: the raw contract
    # judges the record, and names the expectation it breaks; the parser's reason stands if none.
    landed: str | None = None
    # How many records the rejected one held (an X page that is not valid JSON held its posts): the day gate
    # counts them all, so a lost page weighs as the posts it lost. Not a column: the reason says it.
    holds: int = 1


class FieldError(ValueError):
    """A field of a record could not be read; the parser turns it into a Reject."""

    def __init__(self, column: str, value: object, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.value = value
        self.reason = reason


# A bounded tag length keeps this linear on hostile text (a megabyte of unclosed "<a").
_TAG = re.compile(r"<[a-zA-Z/!][^<>]{0,2000}>")


def _drop_script_blocks(text: str) -> str:
    """Text without <script>/<style> blocks (an unclosed one runs to the end); linear, unlike a lazy regex."""
    lower = text.lower()
    kept = []
    position = 0
    while True:
        starts = [i for i in (lower.find("<script", position), lower.find("<style", position)) if i != -1]
        if not starts:
            kept.append(text[position:])
            break
        start = min(starts)
        kept.append(text[position:start])
        tag = "script" if lower.startswith("<script", start) else "style"
        end = lower.find(f"</{tag}", start)
        if end == -1:
            break
        close = lower.find(">", end)
        position = len(text) if close == -1 else close + 1
    return " ".join(kept)


def html_to_text(text: str | None) -> str | None:
    """Plain text from text that may hold HTML: scripts and styles dropped, tags removed, entities decoded."""
    if not text or "<" not in text and "&" not in text:
        return text
    stripped = _TAG.sub(" ", _drop_script_blocks(text))
    return re.sub(r"[ \t]{2,}", " ", html.unescape(stripped)).strip()


# Encodings a detector may choose between when bytes carry no (or a wrong) label, in the order that
# breaks a tie: Chinese exports first (the default business is in China), then the common Western,
# Japanese, Korean and Cyrillic ones.
# (Not KOI8-R: it maps every byte, so it would read any garbage.)
PREFERRED_ENCODINGS = ("gb18030", "big5hkscs", "cp1252", "shift_jis", "euc_jp", "euc_kr", "cp1251")
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _decodes(data: bytes, encoding: str, partial: bool = False) -> bool:
    """Whether the bytes are valid in the encoding; partial: but for a character cut at their end (a
    sample's)."""
    for cut in range(4 if partial else 1):
        try:
            data[: len(data) - cut].decode(encoding)
        except UnicodeDecodeError:
            continue
        except LookupError:
            return False
        return True
    return False


def _wide_unicode(data: bytes, partial: bool = False) -> str | None:
    """UTF-16 or UTF-32 without a byte-order mark, told by where the zero bytes of ASCII text fall."""
    sample = data[:4096]
    if len(sample) < 8 or sample.count(0) * 3 < len(sample):
        return None
    for encoding, zero_at in (("utf-32-le", (2, 3)), ("utf-32-be", (0, 1))):
        if all(sample[i] == 0 for start in range(0, len(sample) - 3, 4) for i in (start + z for z in zero_at)):
            return encoding if _decodes(data, encoding, partial) else None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    encoding = "utf-16-le" if odd > even * 4 else "utf-16-be" if even > odd * 4 else None
    return encoding if encoding and _decodes(data, encoding, partial) else None


def detect_encoding(data: bytes, declared: str | None = None, partial: bool = False) -> str | None:
    """The encoding of bytes: a byte-order mark's; else the declared one (as its superset) when the bytes
    are valid in it; else UTF-8 when valid; else UTF-16/32 without a mark; else charset-normalizer's
    pick among PREFERRED_ENCODINGS (a tie in its chaos measure goes to the earlier one). None when
    nothing reads the bytes. partial: the bytes are a sample, which may end in a cut character."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding if _decodes(data, encoding, partial) else None
    wide = _wide_unicode(data, partial)
    if wide:
        return wide
    if declared and _decodes(data, declared, partial):
        return declared
    if _decodes(data, "utf-8", partial):
        return "utf-8"
    if len(data) < 8:
        return None  # too few bytes for any detector to tell
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[: 1 << 16], cp_isolation=list(PREFERRED_ENCODINGS)))
    if not matches:
        return None
    least = min(match.chaos for match in matches)
    names = {match.encoding for match in matches if match.chaos <= least + 0.01}
    for encoding in PREFERRED_ENCODINGS:
        if encoding in names and _decodes(data, encoding, partial):
            return encoding
    return None


def sniff_encoding(path: Path, sample_bytes: int = 1 << 20) -> str:
    """A text export's encoding, from its first megabyte: UTF-8 (with or without a byte-order mark) when
    it decodes with at most one error in a thousand characters, so one stray byte in a UTF-8 file does
    not turn the whole file into mojibake (that row is quarantined); else detect_encoding()'s answer
    (GB18030 for the GBK/GB2312 a Chinese Excel writes, UTF-16 from "Unicode text", Big5, cp1252...)."""
    with path.open("rb") as handle:
        head = handle.read(sample_bytes)
    if len(head) == sample_bytes:  # do not count a character cut by the sample's end
        head = head[: len(head) - 4]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    utf8_errors = head.decode("utf-8", errors="replace").count("\ufffd")
    if utf8_errors * 1000 <= len(head) and not _wide_unicode(head, partial=True):
        return "utf-8-sig"
    return detect_encoding(head, partial=True) or "utf-8-sig"


_ESCAPED_BYTE = re.compile("[\udc00-\udcff]")


def _escape_bytes(error: UnicodeError) -> tuple[str, int]:
    """Decoding error handler ESCAPE_BYTES: each byte not valid in the encoding becomes a lone surrogate
    (U+DC00 + byte), as surrogateescape does, but for any codec and any byte (UTF-16 and UTF-32 included),
    so the record holding it is rejected and the rest of the file read."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(chr(0xDC00 + byte) for byte in error.object[error.start : error.end]), error.end


ESCAPE_BYTES = "complaints.escape_bytes"
codecs.register_error(ESCAPE_BYTES, _escape_bytes)


def undecodable(text: str) -> bool:
    """True when the text holds bytes that were not valid in its encoding (read with ESCAPE_BYTES or
    surrogateescape)."""
    return _ESCAPED_BYTE.search(text) is not None


def shown_bytes(text: str) -> str:
    """A text read with ESCAPE_BYTES as a person can read it: each invalid byte as U+FFFD."""
    return _ESCAPED_BYTE.sub("\ufffd", text)


_LETTER = re.compile(r"[^\W\d_]")
# Kana and Hangul: Han characters among them are Japanese or Korean, not Chinese.
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")


@lru_cache(maxsize=1)
def _language_identifier():
    """py3langid's model (97 languages, inside the package: nothing is downloaded), loaded once per process
    (about half a second), giving probabilities."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


# Below this probability the model is guessing (a one-word text): the language is 'und' (ISO 639-2's
# undetermined).
MIN_LANGUAGE_CONFIDENCE = 0.5
LANGUAGE_SAMPLE_CHARS = 160


def language_of(text: str | None) -> str:
    """The text's language (ISO 639-1) by py3langid, per text: English mail signed with a Chinese name
    is English. A text whose letters are mostly Han, with no kana or Hangul, is Chinese without asking
    the model; a text with no letters is 'en', the default; one the model cannot tell is 'und'."""
    if not text:
        return "en"
    letters = len(_LETTER.findall(text))
    if letters == 0:
        return "en"
    if len(_CJK.findall(text)) * 2 >= letters and not _KANA_HANGUL.search(text):
        return "zh"
    # The opening tells the language; the model's cost grows with the text (about 50 us for 160 characters).
    language, confidence = _language_identifier().classify(text[:LANGUAGE_SAMPLE_CHARS])
    return language if confidence >= MIN_LANGUAGE_CONFIDENCE else "und"


def parse_local_time(value: str | None, column: str, tz: str) -> dt.datetime | None:
    """Local 'YYYY-MM-DD HH:MM:SS' (an export's wall clock) to naive UTC; empty means not yet."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) != 19:  # fromisoformat (C, ten times strptime) would take other ISO forms too
            raise ValueError
        local = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(column, value, f"{value!r} is not a date-time in the form YYYY-MM-DD HH:MM:SS") from None
    return local.replace(tzinfo=_zone(tz)).astimezone(dt.UTC).replace(tzinfo=None)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_iso_time(value: object, column: str) -> dt.datetime | None:
    """ISO 8601 with an offset to naive UTC; a value without offset is taken as UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(column, value, f"{value!r} is not an ISO 8601 date-time")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(column, value, f"{value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def parse_int(value: object, column: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise FieldError(column, value, f"{value!r} is not a whole number") from None


def parse_float(value: object, column: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        raise FieldError(column, value, f"{value!r} is not a number") from None


def sql_string(text: str) -> str:
    """A SQL string literal, for the statements that take no parameter (COMMENT ON, a literal in a select list)."""
    return "'" + text.replace("'", "''") + "'"


def clean(value: object) -> str | None:
    """Strip a text field; empty becomes None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def mapped_fields(
    record: dict, mapping: dict[str, str], parse_time: Callable[[object, str], dt.datetime | None]
) -> dict[str, object]:
    """The canonical columns a format names directly, each read from its source key (a dotted key reads a nested
    object: `ticket.csat`) and converted by the column's type: text cleaned, whole numbers and numbers parsed,
    times by the format's parse_time. A value that does not convert names its source key in the FieldError."""
    fields: dict[str, object] = {}
    for column, key in mapping.items():
        value: object = record
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        kind = CANONICAL_SCHEMA.field(column).type
        if pa.types.is_timestamp(kind):
            fields[column] = parse_time(value, key)
        elif pa.types.is_integer(kind):
            fields[column] = parse_int(value, key)
        elif pa.types.is_floating(kind):
            fields[column] = parse_float(value, key)
        else:
            fields[column] = clean(value)
    return fields


def canonical_row(
    ctx: ParseContext,
    source_file: str,
    source_position: str,
    *,
    source_record_id: str,
    identity: str | None,
    text: str | None,
    extra: dict,
    known: tuple[str | None, ...] = (),
    **fields: object,
) -> dict:
    """Build one canonical row: stable id, hashed customer, masked text, the rest as given. known: the
    record's own identities (names, handles, account numbers), masked wherever they appear in its text."""
    row = dict.fromkeys(CANONICAL_COLUMNS)
    row.update(fields)
    # A web export (CFPB) may carry complaints that came in by phone or email: its rows name their channel.
    channel = fields.get("channel") or ctx.channel
    if text is not None and not isinstance(text, str):
        raise FieldError("text", text, f"the complaint text is a JSON {type(text).__name__}, not a string")
    masked = pii.mask_text(html_to_text(text), (identity, *known), ctx.service_handles)
    row.update(
        complaint_id=f"{CHANNEL_PREFIX.get(channel, 'XX')}-{source_record_id}",
        channel=channel,
        source_record_id=source_record_id,
        customer_key=pii.customer_key(identity, ctx.pii_key),
        complaint_text=masked,
        language=fields.get("language") or language_of(masked),
        source_file=source_file,
        source_position=source_position,
        record_source=fields.get("record_source") or CHANNEL_SOURCES.get(ctx.channel),
        partition_date=ctx.partition_date,
        version_at=fields.get("version_at") or version_time(ctx, fields.get("received_at")),
        version_kind=fields.get("version_kind") or "snapshot",
        extra=json.dumps(extra, ensure_ascii=False, sort_keys=True),
    )
    return row


def _compact_json(value: object) -> str:
    """JSON as DuckDB writes it: compact, non-ASCII as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def landed_object(fields: dict[str, str | None]) -> str:
    """LANDED_KEY's value: the fields as one JSON object, as DuckDB's json_object() writes it (a byte
    that was not valid in its encoding as U+FFFD)."""
    return _compact_json({k: shown_bytes(v) if isinstance(v, str) else v for k, v in fields.items()})


def json_text(value: object) -> str | None:
    """A field of a JSON record as its raw contract reads it: its JSON text ("a string" keeps its
    quotes, so a contract can tell 5 from "5" and a text from a number); None when absent or null."""
    return None if value is None else _compact_json(value)


def json_type(value: object) -> str | None:
    """A JSON value's type, for a contract that needs only that (a text must be a string)."""
    if value is None:
        return None
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array")):
        if isinstance(value, kind):
            return name
    return "object"


def row_or_reject(
    to_row: Callable[[Any, ParseContext, str, str], dict],
    record: Any,
    ctx: ParseContext,
    source_file: str,
    position: str,
    raw_record: str,
    landed: dict[str, str | None],
) -> dict | Reject:
    """A channel's record as a canonical row, or as a Reject naming the field that could not be read;
    either way with its landed fields, for the raw contract."""
    fields = landed_object(landed)
    try:
        row = to_row(record, ctx, source_file, position)
    except FieldError as error:
        return Reject(
            source_file=source_file,
            source_position=position,
            raw_record=raw_record,
            reason=error.reason,
            failing_column=error.column,
            failing_value=None if error.value is None else str(error.value),
            landed=fields,
        )
    # The landed record rides along, so a row the quality gate rejects is quarantined as it arrived.
    row[RAW_KEY] = raw_record
    row[LANDED_KEY] = fields
    return row


def csv_rows(reader: Iterator[list[str]], source_file: str) -> Iterator[tuple[str, list[str]] | Reject]:
    """(row number, cells) for each data row; a row the reader cannot finish (an unterminated quote
    runs to the end of the file) becomes a Reject, and ends the file."""
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            number += 1
            yield Reject(source_file, str(number), "", f"row {number} is cut off: {error}")
            return
        number += 1
        yield str(number), cells


def decode_json(text: str) -> object:
    """json.loads; a document nested too deeply for the parser (a RecursionError) is invalid JSON too."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", text, 0) from None


def load_json_document(path: Path, source_file: str) -> object | Reject | None:
    """A JSON file's document; a Reject when it is not valid JSON; None when the file is empty."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        return None
    try:
        return decode_json(text)
    except json.JSONDecodeError as error:
        return Reject(source_file, f"char {error.pos}", text[:10_000], f"the file is not valid JSON ({error.msg})")


def csv_line(cells: list[str]) -> str:
    """Cells back to one CSV line, quoted as the export quoted them."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue().rstrip("\r\n")


# ASCII boundaries: in Chinese text a product name touches the characters around it (smart_tv每个月).
_PRODUCT_PATTERNS = [
    (product, re.compile(r"(?<![A-Za-z0-9])" + product.replace("_", "[ _-]?") + r"(?![A-Za-z0-9])", re.IGNORECASE))
    for product in PRODUCTS
]


def find_product(text: str | None) -> str | None:
    """The first known product a free text names (social posts name no product field)."""
    if not text or not isinstance(text, str):  # not text: canonical_row rejects the record
        return None
    for product, pattern in _PRODUCT_PATTERNS:
        if pattern.search(text):
            return product
    return None
