"""Phone channel: call-centre ticket exports (CSV) into canonical rows.

Times in the export are the call centre's local wall clock; they are stored in UTC.
"""

from __future__ import annotations

import csv
import io
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
    parse_local_time,
    row_or_reject,
)


def _raw(row: dict[str, str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row.values())
    return buffer.getvalue().rstrip("\r\n")


def _to_row(record: dict[str, str], ctx: ParseContext, source_file: str, position: str) -> dict:
    tz = ctx.local_tz
    received_at = parse_local_time(record.get("call_start"), "call_start", tz)
    if received_at is None:
        raise FieldError("call_start", record.get("call_start"), "call_start is empty: the call has no time")
    return canonical_row(
        ctx,
        source_record_id=clean(record.get("ticket_no")) or f"row{position}",
        source_file=source_file,
        source_position=position,
        identity=clean(record.get("account_no")) or clean(record.get("caller_phone")),
        text=record.get("notes"),
        extra={"agent_id": clean(record.get("agent_id"))},
        received_at=received_at,
        product=clean(record.get("product")),
        category=clean(record.get("category")),
        severity=parse_int(record.get("severity"), "severity"),
        complexity=clean(record.get("complexity")),
        region=clean(record.get("region")),
        status=clean(record.get("status")),
        first_response_at=parse_local_time(record.get("first_response_time"), "first_response_time", tz),
        resolved_at=parse_local_time(record.get("resolved_time"), "resolved_time", tz),
        satisfaction_score=parse_int(record.get("satisfaction"), "satisfaction"),
        escalation_level=parse_int(record.get("escalation_level"), "escalation_level"),
        compensation=parse_float(record.get("compensation"), "compensation"),
        handling_minutes=parse_float(record.get("handle_minutes"), "handle_minutes"),
    )


def parse_file(path: Path, ctx: ParseContext) -> Iterator[dict | Reject]:
    source_file = ctx.relative(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, record in enumerate(reader, start=1):
            position = str(number)
            if None in record:  # more cells than the header has columns
                yield Reject(source_file, position, _raw(record), f"row {number} has more cells than the header")
                continue
            yield row_or_reject(_to_row, record, ctx, source_file, position, _raw(record))
