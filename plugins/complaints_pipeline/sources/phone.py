"""Phone channel: call-centre ticket exports (CSV) into canonical rows.

Accepts UTF-8 with or without a byte-order mark and GBK/GB18030 (Chinese Excel), English or Chinese
headers, quoted multi-line notes; times are the call centre's local wall clock, stored in UTC.
"""

from __future__ import annotations

import csv
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from complaints_pipeline.sources import base, columnar
from complaints_pipeline.sources.base import ESCAPE_BYTES, LANDED_KEY, RAW_KEY, FieldError, ParseContext, Reject

log = logging.getLogger(__name__)

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
# A ticket system that exports the tickets changed on a day says when each last changed: that version's time.
OPTIONAL = ("updated_at",)
REQUIRED = ("ticket_no", "call_start")
# The fields expectations/phone.json (the raw contract) judges, as they landed.
CONTRACT_FIELDS = (
    "ticket_no",
    "call_start",
    "updated_at",
    "first_response_time",
    "resolved_time",
    "severity",
    "satisfaction",
    "escalation_level",
    "compensation",
    "handle_minutes",
)
# The canonical columns an export names directly, and the export's column for each: both paths convert them by
# the canonical column's type.
_FIELDS = {
    **{name: name for name in ("product", "category", "complexity", "region", "status", "severity")},
    **{name: name for name in ("escalation_level", "compensation")},
    "satisfaction_score": "satisfaction",
    "handling_minutes": "handle_minutes",
    "first_response_at": "first_response_time",
    "resolved_at": "resolved_time",
    "version_at": "updated_at",
}
# Bytes per batch of the columnar path (Arrow splits a block only at row ends).
BLOCK_BYTES = 8 << 20
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
    "更新时间": "updated_at",
}


def _to_row(record: dict[str, str], ctx: ParseContext, source_file: str, position: str) -> dict:
    tz = ctx.local_tz
    ticket = base.clean(record.get("ticket_no"))
    if ticket is None:
        raise FieldError("ticket_no", None, "the ticket number is empty")
    received_at = base.parse_local_time(record.get("call_start"), "call_start", tz)
    if received_at is None:
        raise FieldError("call_start", record.get("call_start"), "call_start is empty: the call has no time")
    return base.canonical_row(
        ctx,
        source_file,
        position,
        source_record_id=ticket,
        received_at=received_at,
        identity=base.clean(record.get("account_no")) or base.clean(record.get("caller_phone")),
        known=(record.get("caller_name"), record.get("account_no"), record.get("caller_phone")),
        text=record.get("notes"),
        extra={"agent_id": base.clean(record.get("agent_id"))},
        **base.mapped_fields(record, _FIELDS, lambda value, key: base.parse_local_time(value, key, tz)),
    )


def _header(cells: list[str]) -> list[str]:
    return [CHINESE_HEADERS.get(c.strip(), c.strip().lower()) for c in cells]


def _record(
    header: list[str], cells: list[str], number: int, ctx: ParseContext, source_file: str, encoding: str
) -> dict | Reject | None:
    """One CSV row as a canonical row or a Reject; None for a blank row."""
    position = str(number)
    landed_line = base.csv_line(cells)
    raw = base.shown_bytes(landed_line)  # as a person reads it: an undecodable byte as U+FFFD
    if not any(c.strip() for c in cells):
        return None  # a blank line holds no record (Excel leaves them at the end)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return Reject(source_file, position, raw, f"the header has no {', '.join(missing)} column")
    if len(cells) != len(header):
        problem = "cut off or a column missing" if len(cells) < len(header) else "a column too many"
        reason = f"row {number} has {len(cells)} cells, the header has {len(header)}: {problem}"
        return Reject(source_file, position, raw, reason)
    if _NUL in raw:
        return Reject(source_file, position, raw.replace(_NUL, "\\x00"), f"row {number} contains NUL bytes")
    if base.undecodable(landed_line):
        return Reject(
            source_file, position, raw, f"row {number} has bytes that are not valid {encoding.replace('-sig', '')}"
        )
    record = dict(zip(header, cells, strict=True))
    landed = {name: record.get(name) for name in CONTRACT_FIELDS}
    return base.row_or_reject(_to_row, record, ctx, source_file, position, raw, landed)


def _row_path(path: Path, ctx: ParseContext, encoding: str, after_row: int = 0) -> Iterator[dict | Reject]:
    """The csv module, row by row: every export the columnar path declines, from row after_row + 1 on."""
    source_file = ctx.relative(path)
    # A byte that is not valid in the file's encoding rejects its row, not the file.
    with path.open(encoding=encoding, errors=ESCAPE_BYTES, newline="") as handle:
        reader = csv.reader(line.replace("\0", _NUL) for line in handle)
        try:
            first = next(reader)
        except StopIteration:
            return  # an empty file holds no records
        header = _header(first)
        rows = 0
        for item in base.csv_rows(reader, source_file):
            rows += 1
            if isinstance(item, Reject):
                yield item
                return
            position, cells = item
            if int(position) > after_row:
                record = _record(header, cells, int(position), ctx, source_file, encoding)
                if record is not None:
                    yield record
        missing = [c for c in REQUIRED if c not in header]
        unknown = [c for c in header if c not in (*COLUMNS, *OPTIONAL)]
        if rows == 0 and after_row == 0 and (missing or unknown) and any(c.strip() for c in first):
            # No row under a header that is no phone export's: whatever the file holds is in that line
            # (rows run together when line ends are lost), so it is rejected, not passed over.
            problem = f"no {', '.join(missing)}" if missing else f"{len(unknown)} columns it does not know"
            reason = f"the file has no rows, and its first line is no phone export's header ({problem})"
            yield Reject(source_file, "1", base.shown_bytes(base.csv_line(first))[:10_000], reason)


def _plain_header(path: Path) -> list[str] | None:
    """The header of a UTF-8 export the columnar path can read: every column known, once, unquoted."""
    with path.open("rb") as handle:
        line = handle.readline()
    if not line.endswith(b"\n") or b'"' in line:
        return None
    try:
        header = _header(line.decode("utf-8-sig").rstrip("\r\n").split(","))
    except UnicodeDecodeError:
        return None
    known = sorted(COLUMNS) == sorted(c for c in header if c not in OPTIONAL) and len(set(header)) == len(header)
    return header if known and set(header) <= {*COLUMNS, *OPTIONAL} else None


def _batch_items(
    batch: pa.RecordBatch, first: int, header: list[str], ctx: ParseContext, source_file: str
) -> Iterator[pa.Table | dict | Reject]:
    """A batch of rows as staging tables, in file order; rows the vectorised rules doubt go one by one."""
    column = {name: batch.column(name) for name in header}
    tz = ctx.local_tz
    ticket, ticket_doubt = columnar.cleaned(column["ticket_no"])
    received_at, received_doubt = columnar.local_times(column["call_start"], tz)
    account, account_doubt = columnar.cleaned(column["account_no"])
    caller, caller_doubt = columnar.cleaned(column["caller_phone"])
    agent, agent_doubt = columnar.cleaned(column["agent_id"])
    extra, extra_doubt = columnar.json_object("agent_id", agent)
    known = [column["caller_name"], column["account_no"], column["caller_phone"]]
    text, language, text_doubt = columnar.texts(column["notes"], known, ctx.service_handles)
    converted = {
        "source_record_id": ticket,
        "received_at": received_at,
        "complaint_text": text,
        "language": language,
        "extra": extra,
        "source_position": pc.cast(pa.array(range(first, first + batch.num_rows)), pa.string()),
        RAW_KEY: columnar.csv_lines([column[name] for name in header]),
        LANDED_KEY: columnar.landed_objects(
            {name: column.get(name, pa.nulls(batch.num_rows, pa.string())) for name in CONTRACT_FIELDS}
        ),
    }
    doubts = [ticket_doubt, pc.is_null(ticket), received_doubt, pc.is_null(received_at), account_doubt]
    doubts += [caller_doubt, agent_doubt, extra_doubt, text_doubt]
    doubts.append(pc.match_substring(column["notes"], "\0"))
    absent = pa.array([""] * batch.num_rows, pa.string())  # an optional column the export does not have
    for name, source in _FIELDS.items():
        converted[name], doubt = columnar.typed(column.get(source, absent), name, tz)
        doubts.append(doubt)
    doubtful = columnar.any_of(*doubts)
    identity = pc.coalesce(account, caller)
    converted["customer_key"] = columnar.customer_keys(identity, ctx.pii_key)
    table = columnar.canonical_table(ctx, source_file, converted)

    def row_path(index: int) -> dict | Reject | None:
        cells = [batch.column(name)[index].as_py().replace("\0", _NUL) for name in header]  # as the row path reads
        return _record(header, cells, first + index, ctx, source_file, "utf-8-sig")

    yield from columnar.interleave(table, doubtful, row_path)


def parse_file(path: Path, ctx: ParseContext) -> Iterator[pa.Table | dict | Reject]:
    """Clean UTF-8 exports go through Arrow's CSV reader in batches; the first block it cannot read
    (a ragged or cut-off row, bytes that are not UTF-8, a blank line) hands the rest of the file to
    the row path, so positions and reasons are those of the row path."""
    encoding = base.sniff_encoding(path)
    header = _plain_header(path) if encoding == "utf-8-sig" else None
    done = 0
    if header is not None:
        source_file = ctx.relative(path)
        try:
            reader = pcsv.open_csv(
                path,
                read_options=pcsv.ReadOptions(skip_rows=1, column_names=header, block_size=BLOCK_BYTES),
                parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            while True:
                batch = reader.read_next_batch()
                items = list(_batch_items(batch, done + 1, header, ctx, source_file))
                yield from items
                done += batch.num_rows
        except StopIteration:
            return
        except pa.ArrowInvalid as error:
            log.info("%s: the row path reads on from row %d (%s)", source_file, done + 1, error)
    yield from _row_path(path, ctx, encoding, after_row=done)
