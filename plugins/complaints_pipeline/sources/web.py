"""Web channel: JSON-lines form submissions into canonical rows.

Each line is one submission; a line that is not valid JSON is quarantined with its line number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from complaints_pipeline.sources.base import (
    FieldError,
    ParseContext,
    Reject,
    canonical_row,
    clean,
    parse_float,
    parse_int,
    parse_iso_time,
    row_or_reject,
)


def _to_row(record: dict, ctx: ParseContext, source_file: str, position: str) -> dict:
    ticket = record.get("ticket") or {}
    submission_id = clean(record.get("submission_id"))
    if submission_id is None:
        raise FieldError("submission_id", None, "submission_id is missing")
    return canonical_row(
        ctx,
        source_record_id=submission_id,
        source_file=source_file,
        source_position=position,
        identity=clean(record.get("account_no")) or clean(record.get("email")),
        text=record.get("description"),
        extra={"form": record.get("form")},
        received_at=parse_iso_time(record.get("submitted_at"), "submitted_at"),
        product=clean(record.get("product")),
        category=clean(record.get("category")),
        severity=parse_int(record.get("severity"), "severity"),
        complexity=clean(ticket.get("complexity")),
        region=clean(record.get("region")),
        status=clean(ticket.get("status")),
        first_response_at=parse_iso_time(ticket.get("first_response_at"), "ticket.first_response_at"),
        resolved_at=parse_iso_time(ticket.get("resolved_at"), "ticket.resolved_at"),
        satisfaction_score=parse_int(ticket.get("csat"), "ticket.csat"),
        escalation_level=parse_int(ticket.get("escalation_level"), "ticket.escalation_level"),
        compensation=parse_float(ticket.get("compensation"), "ticket.compensation"),
        handling_minutes=parse_float(ticket.get("handle_minutes"), "ticket.handle_minutes"),
    )


def parse_file(path: Path, ctx: ParseContext) -> Iterator[dict | Reject]:
    source_file = ctx.relative(path)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            position = str(number)
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield Reject(source_file, position, line, f"line {number} is not valid JSON ({error.msg})")
                continue
            if not isinstance(record, dict):
                yield Reject(source_file, position, line, f"line {number} is JSON but not an object")
                continue
            yield row_or_reject(_to_row, record, ctx, source_file, position, line)
