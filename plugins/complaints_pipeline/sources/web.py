"""Web channel: JSON-lines form submissions and their status events; the CFPB exports that land with them
are cfpb.py's.

A status event (a JSON line with `event_at`) is a version of the submission it names: the ticket's state
after the change, at event_at.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from complaints_pipeline.sources import base, cfpb, columnar
from complaints_pipeline.sources.base import LANDED_KEY, RAW_KEY, FieldError, ParseContext, Reject

# ---------------------------------------------------------------- form submissions (JSON lines)

# Bytes of JSON lines converted column by column at a time.
BLOCK_BYTES = 8 << 20


# The fields expectations/web.json (the raw contract) judges in a form: name -> JSON path. The values
# are JSON texts (base.json_text); of the ticket and the description only the JSON type counts.
FORM_CONTRACT_TEXTS = {
    name: f"$.{name}"
    for name in (
        "submission_id",
        "submitted_at",
        "event_at",
        "severity",
        "ticket.first_response_at",
        "ticket.resolved_at",
        "ticket.csat",
        "ticket.escalation_level",
        "ticket.compensation",
        "ticket.handle_minutes",
    )
}
FORM_CONTRACT_TYPES = {"ticket type": "$.ticket", "description type": "$.description"}


def _form_landed(record: dict) -> dict[str, str | None]:
    ticket = record.get("ticket")
    inner = ticket if isinstance(ticket, dict) else {}
    landed: dict[str, str | None] = {"format": "form"}
    for name in FORM_CONTRACT_TEXTS:
        parent, _, key = name.rpartition(".")
        landed[name] = base.json_text((inner if parent else record).get(key))
    landed["ticket type"] = base.json_type(ticket)
    landed["description type"] = base.json_type(record.get("description"))
    return landed


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _form_row(record: dict, ctx: ParseContext, source_file: str, position: str) -> dict:
    ticket = record.get("ticket") or {}
    if not isinstance(ticket, dict):
        raise FieldError("ticket", ticket, "ticket is not a JSON object")
    submission_id = base.clean(record.get("submission_id"))
    if submission_id is None:
        raise FieldError("submission_id", None, "submission_id is missing")
    event_at = base.parse_iso_time(record.get("event_at"), "event_at")
    return base.canonical_row(
        ctx,
        source_file,
        position,
        source_record_id=submission_id,
        received_at=base.parse_iso_time(record.get("submitted_at"), "submitted_at"),
        identity=base.clean(record.get("account_no")) or base.clean(record.get("email")),
        known=tuple(_text_or_none(record.get(key)) for key in _FORM_IDENTITIES),
        text=record.get("description"),
        extra={"form": record.get("form")},
        version_at=event_at,
        version_kind="snapshot" if event_at is None else "event",
        **base.mapped_fields(record, _FORM_MAPPED, base.parse_iso_time),
    )


def _jsonl_line(line: str, number: int, ctx: ParseContext, source_file: str) -> dict | Reject | None:
    """One line of a JSON-lines file as a canonical row or a Reject; None for a blank line."""
    line = line.rstrip("\r\n")
    if not line.strip():
        return None
    position = str(number)
    if base.undecodable(line):
        shown = base.shown_bytes(line)
        return Reject(source_file, position, shown, f"line {number} has bytes that are not valid UTF-8")
    try:
        record = base.decode_json(line)
    except json.JSONDecodeError as error:
        return Reject(source_file, position, line, f"line {number} is not valid JSON ({error.msg})")
    if not isinstance(record, dict):
        kind = type(record).__name__.replace("dict", "object").replace("list", "array")
        return Reject(source_file, position, line, f"line {number} is a JSON {kind}, not an object")
    return base.row_or_reject(_form_row, record, ctx, source_file, position, line, _form_landed(record))


# (canonical column, JSON path in a form submission, converter) for the columnar path.
_FORM_FIELDS = (
    ("source_record_id", "$.submission_id", columnar.json_strings),
    ("received_at", "$.submitted_at", columnar.iso_times),
    ("version_at", "$.event_at", columnar.iso_times),
    ("product", "$.product", columnar.json_strings),
    ("category", "$.category", columnar.json_strings),
    ("severity", "$.severity", columnar.json_ints),
    ("region", "$.region", columnar.json_strings),
    ("complexity", "$.ticket.complexity", columnar.json_strings),
    ("status", "$.ticket.status", columnar.json_strings),
    ("first_response_at", "$.ticket.first_response_at", columnar.iso_times),
    ("resolved_at", "$.ticket.resolved_at", columnar.iso_times),
    ("satisfaction_score", "$.ticket.csat", columnar.json_ints),
    ("escalation_level", "$.ticket.escalation_level", columnar.json_ints),
    ("compensation", "$.ticket.compensation", columnar.json_numbers),
    ("handling_minutes", "$.ticket.handle_minutes", columnar.json_numbers),
)
# The row path reads the same fields, but the identity and times it treats on their own.
_FORM_MAPPED = {column: path.removeprefix("$.") for column, path, _ in _FORM_FIELDS[3:]}
# A form's fields that name its sender: masked wherever they appear in the description.
_FORM_IDENTITIES = ("name", "phone", "account_no")
_FORM_PATHS = [path for _, path, _ in _FORM_FIELDS] + ["$.account_no", "$.email", "$.description", "$.ticket"]
_FORM_PATHS += ["$.name", "$.phone"]
# Re-serialised by DuckDB, a form holding big or exponent numbers could read back otherwise.
_FORM_DOUBT = r"[0-9][eE]|[0-9]{16,}"


def _form_extra(form_json: str | None, cache: dict[str | None, str]) -> str:
    """_form_row()'s extra for one form object, computed once per distinct form."""
    if form_json not in cache:
        form = None if form_json is None else json.loads(form_json)
        cache[form_json] = json.dumps({"form": form}, ensure_ascii=False, sort_keys=True)
    return cache[form_json]


def _form_batch(
    lines: list[bytes], first: int, ctx: ParseContext, source_file: str
) -> Iterator[pa.Table | dict | Reject]:
    """A block of JSON lines, converted column by column by DuckDB's JSON functions; a line they doubt
    (not an object, a field of an unexpected type, a value to strip) goes through _jsonl_line."""
    kept, numbers = [], []
    for offset, raw in enumerate(lines):
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.strip():
            kept.append(line)
            numbers.append(first + offset)
    if not kept:
        return
    fields = columnar.json_fields(pa.array(kept, pa.string()), _FORM_PATHS, ["$.form"], ["$.ticket"])
    doubts = [fields["doubt"]]
    converted = {}
    for name, path, convert in _FORM_FIELDS:
        converted[name], doubt = convert(*fields[path])
        doubts.append(doubt)
    ticket_type, _ = fields["$.ticket"]
    doubts.append(pc.invert(pc.or_(pc.fill_null(pc.equal(ticket_type, "OBJECT"), False), columnar.absent(ticket_type))))
    doubts.append(pc.is_null(converted["source_record_id"]))
    account, account_doubt = columnar.json_strings(*fields["$.account_no"])
    email, email_doubt = columnar.json_strings(*fields["$.email"])
    description, description_doubt = columnar.json_typed(*fields["$.description"], ("VARCHAR",))
    identities = [columnar.json_strings(*fields[f"$.{key}"])[0] for key in _FORM_IDENTITIES]
    text, language, text_doubt = columnar.texts(description, identities, ctx.service_handles)
    doubts += [account_doubt, email_doubt, description_doubt, text_doubt]
    forms = fields["json $.form"]
    doubts.append(pc.fill_null(pc.match_substring_regex(forms, _FORM_DOUBT), False))
    cache: dict[str | None, str] = {}
    is_event = pc.is_valid(converted["version_at"])
    converted |= {
        "version_kind": pc.if_else(is_event, pa.scalar("event"), pa.scalar("snapshot")),
        "customer_key": columnar.customer_keys(pc.coalesce(account, email), ctx.pii_key),
        "complaint_text": text,
        "language": language,
        "extra": pa.array([_form_extra(form, cache) for form in forms.to_pylist()], pa.string()),
        "source_position": pa.array([str(n) for n in numbers], pa.string()),
        RAW_KEY: pa.array(kept, pa.string()),
        LANDED_KEY: columnar.json_landed(fields, {"format": "form"}, FORM_CONTRACT_TEXTS, FORM_CONTRACT_TYPES),
    }
    table = columnar.canonical_table(ctx, source_file, converted)
    yield from columnar.interleave(
        table, columnar.any_of(*doubts), lambda index: _jsonl_line(kept[index], numbers[index], ctx, source_file)
    )


def _parse_jsonl(path: Path, ctx: ParseContext) -> Iterator[pa.Table | dict | Reject]:
    """Blocks of lines; a block that is not clean UTF-8 with \\n or \\r\\n line ends goes line by line
    through _jsonl_line, as does the rest of a file holding a bare \\r (text mode counts it a line end)."""
    source_file = ctx.relative(path)
    number = 0
    with path.open("rb") as handle:
        while lines := handle.readlines(BLOCK_BYTES):
            block = b"".join(lines)
            if block.count(b"\r") != block.count(b"\r\n"):
                break
            try:
                block.decode("utf-8")
            except UnicodeDecodeError:
                for offset, raw in enumerate(lines):
                    line = raw.decode("utf-8", errors="surrogateescape")
                    item = _jsonl_line(line, number + offset + 1, ctx, source_file)
                    if item is not None:
                        yield item
            else:
                yield from _form_batch(lines, number + 1, ctx, source_file)
            number += len(lines)
        else:
            return
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        for offset, line in enumerate(itertools.islice(handle, number, None)):
            item = _jsonl_line(line, number + offset + 1, ctx, source_file)
            if item is not None:
                yield item


def parse_file(path: Path, ctx: ParseContext) -> Iterator[dict | Reject]:
    if path.suffix == ".jsonl":
        return _parse_jsonl(path, ctx)
    if path.suffix == ".csv":
        return cfpb.parse_csv(path, ctx)
    return cfpb.parse_json(path, ctx)
