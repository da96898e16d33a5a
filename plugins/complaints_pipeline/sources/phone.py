"""Phone channel: call-centre ticket exports (CSV) into canonical rows.

Accepts UTF-8 with or without a byte-order mark and GBK/GB18030 (Chinese Excel), English or Chinese
headers, quoted multi-line notes; times are the call centre's local wall clock, stored in UTC.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path

from complaints_pipeline.sources.base import (
    FieldError,
    ParseContext,
    Reject,
    canonical_row,
    clean,
    csv_line,
    csv_rows,
    parse_float,
    parse_int,
    parse_local_time,
    row_or_reject,
    sniff_encoding,
    undecodable,
)

# A 1 MB note must reach the quality gate (which rejects it with a reason), not crash the reader.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

COLUMNS = (
    "ticket_no",
    "call_start",
    "caller_name",
    "caller_phone",
    "account_no",
    "product",
    "category",
    "severity",
    "complexity",
    "region",
    "status",
    "first_response_time",
    "resolved_time",
    "satisfaction",
    "escalation_level",
    "compensation",
    "handle_minutes",
    "agent_id",
    "notes",
)
REQUIRED = ("ticket_no", "call_start")
# NUL bytes stop the csv module; they are swapped for a private-use character and the row rejected.
_NUL = "\ue000"

# The same export from a Chinese call-centre system, with its own header names.
CHINESE_HEADERS = {
    "工单号": "ticket_no",
    "来电时间": "call_start",
    "客户姓名": "caller_name",
    "来电号码": "caller_phone",
    "客户账号": "account_no",
    "产品": "product",
    "投诉类别": "category",
    "严重程度": "severity",
    "复杂度": "complexity",
    "地区": "region",
    "状态": "status",
    "首次响应时间": "first_response_time",
    "解决时间": "resolved_time",
    "满意度": "satisfaction",
    "升级级别": "escalation_level",
    "补偿金额": "compensation",
    "处理时长": "handle_minutes",
    "坐席工号": "agent_id",
    "备注": "notes",
}


def _to_row(record: dict[str, str], ctx: ParseContext, source_file: str, position: str) -> dict:
    tz = ctx.local_tz
    ticket = clean(record.get("ticket_no"))
    if ticket is None:
        raise FieldError("ticket_no", None, "the ticket number is empty")
    received_at = parse_local_time(record.get("call_start"), "call_start", tz)
    if received_at is None:
        raise FieldError("call_start", record.get("call_start"), "call_start is empty: the call has no time")
    return canonical_row(
        ctx,
        source_record_id=ticket,
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


def _header(cells: list[str]) -> list[str]:
    return [CHINESE_HEADERS.get(c.strip(), c.strip().lower()) for c in cells]


def parse_file(path: Path, ctx: ParseContext) -> Iterator[dict | Reject]:
    source_file = ctx.relative(path)
    encoding = sniff_encoding(path)
    # surrogateescape: a byte that is not valid in the file's encoding rejects its row, not the file.
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as handle:
        reader = csv.reader(line.replace("\0", _NUL) for line in handle)
        try:
            header = _header(next(reader))
        except StopIteration:
            return  # an empty file holds no records
        missing = [c for c in REQUIRED if c not in header]
        for item in csv_rows(reader, source_file):
            if isinstance(item, Reject):
                yield item
                return
            position, cells = item
            number = int(position)
            raw = csv_line(cells)
            if not any(c.strip() for c in cells):
                continue  # a blank line holds no record (Excel leaves them at the end)
            if missing:
                yield Reject(source_file, position, raw, f"the header has no {', '.join(missing)} column")
            elif len(cells) != len(header):
                problem = "cut off or a column missing" if len(cells) < len(header) else "a column too many"
                reason = f"row {number} has {len(cells)} cells, the header has {len(header)}: {problem}"
                yield Reject(source_file, position, raw, reason)
            elif _NUL in raw:
                yield Reject(source_file, position, raw.replace(_NUL, "\\x00"), f"row {number} contains NUL bytes")
            elif undecodable(raw):
                yield Reject(
                    source_file,
                    position,
                    raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
                    f"row {number} has bytes that are not valid {encoding.replace('-sig', '')}",
                )
            else:
                yield row_or_reject(_to_row, dict(zip(header, cells, strict=True)), ctx, source_file, position, raw)
