"""CFPB Consumer Complaint Database exports landed in the web channel: the bulk CSV and JSON exports and the
search API's pages. A row's channel comes from its "Submitted via"; its product name is normalised across the
pre-2017 and current product lists.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

from complaints_pipeline.sources import base
from complaints_pipeline.sources.base import FieldError, ParseContext, Reject

CFPB_COLUMNS = (
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
    "Consumer complaint narrative",
    "Company public response",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
    "Complaint ID",
)
# The JSON export and the search API name the same 18 fields in snake case.
CFPB_JSON_KEYS = dict(
    zip(
        (
            "date_received",
            "product",
            "sub_product",
            "issue",
            "sub_issue",
            "complaint_what_happened",
            "company_public_response",
            "company",
            "state",
            "zip_code",
            "tags",
            "consumer_consent_provided",
            "submitted_via",
            "date_sent_to_company",
            "company_response",
            "timely",
            "consumer_disputed",
            "complaint_id",
        ),
        CFPB_COLUMNS,
        strict=True,
    )
)

# Pre-2017 and current CFPB product names -> one product code per family.
CFPB_PRODUCTS = {
    "bank account or service": "checking_or_savings",
    "checking or savings account": "checking_or_savings",
    "consumer loan": "consumer_loan",
    "payday loan": "consumer_loan",
    "payday loan, title loan, or personal loan": "consumer_loan",
    "payday loan, title loan, personal loan, or advance loan": "consumer_loan",
    "vehicle loan or lease": "vehicle_loan",
    "credit card": "credit_card",
    "prepaid card": "prepaid_card",
    "credit card or prepaid card": "credit_card",
    "credit reporting": "credit_reporting",
    "credit reporting, credit repair services, or other personal consumer reports": "credit_reporting",
    "credit reporting or other personal consumer reports": "credit_reporting",
    "debt collection": "debt_collection",
    "debt or credit management": "debt_management",
    "money transfers": "money_transfer",
    "virtual currency": "money_transfer",
    "money transfer, virtual currency, or money service": "money_transfer",
    "mortgage": "mortgage",
    "student loan": "student_loan",
    "other financial service": "other_financial_service",
}

# "Submitted via" -> this pipeline's channel. Letters and faxes are written correspondence, read
# like email; a value not listed here is quarantined as an unknown channel.
CFPB_CHANNELS = {
    "web": "web",
    "web referral": "web",
    "referral": "web",
    "phone": "phone",
    "email": "email",
    "postal mail": "email",
    "fax": "email",
}

_CFPB_STATUS = {"in progress": "in_progress", "untimely response": "open"}


def _cfpb_date(value: object, column: str, tz: str) -> dt.datetime | None:
    """CFPB dates: 2023-04-12, 04/12/2023 (older CSV exports) or ISO with a time (the JSON export and the
    search API: 2019-09-24T12:00:00-05:00). The complaint is dated on the day CFPB gives, read as the start
    of that day in the business's time zone, so its business date is that day."""
    text = base.clean(value)
    if text is None:
        return None
    for pattern, part in (("%Y-%m-%d", text[:10]), ("%m/%d/%Y", text)):
        try:
            day = dt.datetime.strptime(part, pattern).date()
        except ValueError:
            continue
        return base.export_time(day - dt.timedelta(days=1), tz)  # local midnight starting the day, in UTC
    raise FieldError(column, value, f"{value!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")


# The fields of a CFPB complaint expectations/web.json judges, as text (a JSON number as its digits).
CFPB_CONTRACT_FIELDS = ("Complaint ID", "Submitted via", "Date received")


def _cfpb_landed(record: dict) -> dict[str, str | None]:
    landed: dict[str, str | None] = {"format": "cfpb"}
    for name in CFPB_CONTRACT_FIELDS:
        value = record.get(name)
        landed[name] = value if value is None or isinstance(value, str) else base.json_text(value)
    return landed


def _cfpb_row(record: dict, ctx: ParseContext, source_file: str, position: str) -> dict:
    complaint_id = base.clean(record.get("Complaint ID"))
    if complaint_id is None:
        raise FieldError("Complaint ID", None, "Complaint ID is missing")
    via = base.clean(record.get("Submitted via"))
    channel = CFPB_CHANNELS.get((via or "").lower())
    if channel is None:
        raise FieldError("Submitted via", via, f"Submitted via {via!r} is not a channel this pipeline knows")
    product_name = base.clean(record.get("Product"))
    response = (base.clean(record.get("Company response to consumer")) or "").lower()
    status = _CFPB_STATUS.get(response, "closed" if response.startswith("closed") else None)
    return base.canonical_row(
        ctx,
        source_file,
        position,
        channel=channel,
        record_source="cfpb",
        source_record_id=f"CFPB{complaint_id}",
        identity=None,  # CFPB publishes no customer identity
        # Most CFPB complaints publish no narrative (consumers opt in): the issue then stands for the text.
        text=base.clean(record.get("Consumer complaint narrative"))
        or " / ".join(v for v in (base.clean(record.get("Issue")), base.clean(record.get("Sub-issue"))) if v)
        or None,
        extra={
            "source": "cfpb",
            "product_name": product_name,
            "sub_product": base.clean(record.get("Sub-product")),
            "issue": base.clean(record.get("Issue")),
            "sub_issue": base.clean(record.get("Sub-issue")),
            "company": base.clean(record.get("Company")),
            "company_response": base.clean(record.get("Company response to consumer")),
            "timely_response": base.clean(record.get("Timely response?")),
            "consumer_disputed": base.clean(record.get("Consumer disputed?")),
            "submitted_via": via,
            "tags": base.clean(record.get("Tags")),
        },
        received_at=_cfpb_date(record.get("Date received"), "Date received", ctx.local_tz),
        product=CFPB_PRODUCTS.get((product_name or "").lower(), product_name),
        region=(base.clean(record.get("State")) or "").lower() or None,
        status=status,
    )


# Older exports name some columns differently (the 2014 layout: 14 columns, "Company response").
CFPB_COLUMN_ALIASES = {"Company response": "Company response to consumer"}
# Without these a row is no CFPB complaint; the other columns may be absent (older layouts have no narrative).
CFPB_REQUIRED = ("Complaint ID", "Date received", "Submitted via", "Product")


def _cfpb_header(cells: list[str]) -> list[str] | None:
    """The header's column names in the current layout's terms; None when it is no CFPB export."""
    names = [CFPB_COLUMN_ALIASES.get(c.strip(), c.strip()) for c in cells]
    known = set(CFPB_COLUMNS)
    if not set(CFPB_REQUIRED) <= set(names) or any(n not in known for n in names) or len(set(names)) != len(names):
        return None
    return names


def _parse_cfpb_csv(
    path: Path, ctx: ParseContext, reader: Iterator[list[str]], header: list[str]
) -> Iterator[dict | Reject]:
    source_file = ctx.relative(path)
    for item in base.csv_rows(reader, source_file):
        if isinstance(item, Reject):
            yield item
            return
        number, cells = item
        raw = base.csv_line(cells)
        if len(cells) != len(header):
            reason = f"row {number} has {len(cells)} of the header's {len(header)} CFPB columns"
            yield Reject(source_file, number, raw, reason)
            continue
        record = dict(zip(header, cells, strict=True))
        yield base.row_or_reject(_cfpb_row, record, ctx, source_file, number, raw, _cfpb_landed(record))


def parse_csv(path: Path, ctx: ParseContext) -> Iterator[dict | Reject]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(line.replace("\0", "") for line in handle)
        header = next(reader, None)
        if header is None:
            return
        names = _cfpb_header(header)
        if names is None:
            reason = (
                "the CSV header is not a CFPB export's: it needs "
                + ", ".join(CFPB_REQUIRED)
                + " and no column the CFPB export does not have"
            )
            yield Reject(ctx.relative(path), "header", base.csv_line(header), reason)
            return
        yield from _parse_cfpb_csv(path, ctx, reader, names)


def _cfpb_records(document: object) -> list | None:
    """The complaints in a CFPB JSON document: the bulk export's array, or the search API's hits."""
    if isinstance(document, dict) and isinstance(document.get("hits"), dict):
        document = document["hits"].get("hits")
    if not isinstance(document, list):
        return None
    return [item.get("_source", item) if isinstance(item, dict) else item for item in document]


def parse_json(path: Path, ctx: ParseContext) -> Iterator[dict | Reject]:
    source_file = ctx.relative(path)
    document = base.load_json_document(path, source_file)
    if document is None or isinstance(document, Reject):
        if document is not None:
            yield document
        return
    records = _cfpb_records(document)
    if records is None:
        raw = json.dumps(document, ensure_ascii=False)[:10_000]
        yield Reject(source_file, "file", raw, "the JSON is neither a CFPB array nor a search API response")
        return
    for index, item in enumerate(records, start=1):
        raw = json.dumps(item, ensure_ascii=False)
        if not isinstance(item, dict):
            yield Reject(source_file, str(index), raw, f"complaint {index} is not a JSON object")
            continue
        record = {CFPB_JSON_KEYS.get(key, key): value for key, value in item.items()}
        yield base.row_or_reject(_cfpb_row, record, ctx, source_file, str(index), raw, _cfpb_landed(record))
