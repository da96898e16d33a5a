"""The CRM's customer export, the fifth landing source: checked, keyed and loaded (raw.crm_customers).

`landing/crm/<date>/customers_<date>.csv`: customer_id (the account number the complaints carry), the first and
last purchase (YYYY-MM-DD), orders and spend. The id becomes the customer key (pii.customer_key, the HMAC every
identity gets), so the marts join a complaint to its customer's value and no id is stored. A row that fails a
check goes to raw.quarantine (channel `crm`) with its reason and its id masked. The newest export loaded is the
CRM's state: raw.crm_customers holds its rows, replaced whole in the load's transaction; an older export landing
later changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from complaints_pipeline.sources.base import QUARANTINE_SCHEMA
from complaints_pipeline.sources.columnar import customer_keys

log = logging.getLogger(__name__)

SOURCE = "crm"
HEADER = ("customer_id", "first_purchase_date", "last_purchase_date", "orders", "spend")
COLUMNS = ("customer_key", "first_purchase_date", "last_purchase_date", "order_count", "spend_amount", "export_date")
_DATE = r"^\d{4}-\d{2}-\d{2}$"
# Each check: the reason a person reads, the field at fault, and when a row fails it (DuckDB SQL over the
# export's text columns; ok_first and ok_last are the parsed dates).
CHECKS = (
    ("no customer id", "customer_id", "coalesce(trim(customer_id), '') = ''"),
    ("the first purchase is not a date (YYYY-MM-DD)", "first_purchase_date", "first_date is null"),
    ("the last purchase is not a date (YYYY-MM-DD)", "last_purchase_date", "last_date is null"),
    ("the last purchase is before the first", "last_purchase_date", "last_date < first_date"),
    ("the last purchase is after the export's date", "last_purchase_date", "last_date > $export_date"),
    ("orders is not a whole number of 1 or more", "orders", "coalesce(try_cast(orders as bigint) < 1, true)"),
    ("spend is not an amount of 0 or more", "spend", "coalesce(try_cast(spend as double) < 0, true)"),
)


def export_files(landing_dir: Path, days: list[dt.date]) -> list[tuple[dt.date, Path]]:
    """The CRM exports that landed for these dates, oldest first."""
    found = []
    for day in sorted(days):
        folder = landing_dir / SOURCE / day.isoformat()
        found.extend((day, path) for path in sorted(folder.glob("customers_*.csv")) if path.is_file())
    return found


def check(path: Path, export_date: dt.date, pii_key: str) -> tuple[pa.Table, pa.Table]:
    """(rows to load, quarantined rows) of one export. Raises ValueError naming the file when its header is not
    the CRM's."""
    with duckdb.connect() as con:
        try:
            rows = con.sql(
                "select *, row_number() over () as position from read_csv(?, header = true, all_varchar = true)",
                params=[str(path)],
            ).to_arrow_table()
        except duckdb.Error as error:
            raise ValueError(f"{path}: not a CSV file the CRM writes ({error})") from error
        if tuple(rows.column_names[:-1]) != HEADER:
            raise ValueError(f"{path}: the header is {rows.column_names[:-1]}, the CRM's export has {list(HEADER)}")
        failing = " ".join(
            f"when {condition} then '{reason.replace(chr(39), chr(39) * 2)}|{field}'"
            for reason, field, condition in CHECKS
        )
        con.register("export", rows)
        judged = con.sql(
            f"""
            with parsed as (
                select
                    *,
                    case when regexp_matches(first_purchase_date, '{_DATE}')
                        then try_cast(first_purchase_date as date) end as first_date,
                    case when regexp_matches(last_purchase_date, '{_DATE}')
                        then try_cast(last_purchase_date as date) end as last_date
                from export
            ),
            failed as (
                select *, case {failing} end as failure from parsed
            )
            select
                *,
                -- A customer twice: the first row is the customer's, the others are quarantined.
                case
                    when failure is null
                        and row_number() over (partition by lower(trim(customer_id)) order by position) > 1
                        then 'the customer id is in the export twice; its first row is loaded|customer_id'
                    else failure
                end as reason
            from failed
            order by position
            """,
            params={"export_date": export_date},
        ).to_arrow_table()
    good = judged.filter(pc.is_null(judged["reason"]))
    bad = judged.filter(pc.is_valid(judged["reason"]))
    load = pa.table(
        {
            "customer_key": customer_keys(good["customer_id"].combine_chunks(), pii_key),
            "first_purchase_date": good["first_date"],
            "last_purchase_date": good["last_date"],
            "order_count": pc.cast(good["orders"], pa.int64()),
            "spend_amount": pc.cast(good["spend"], pa.float64()),
            "export_date": pa.array([export_date] * good.num_rows, pa.date32()),
        }
    )
    return load, _quarantine_rows(bad, path, export_date, pii_key)


def _quarantine_rows(bad: pa.Table, path: Path, export_date: dt.date, pii_key: str) -> pa.Table:
    keys = customer_keys(bad["customer_id"].combine_chunks(), pii_key).to_pylist()
    records = []
    for row, key in zip(bad.to_pylist(), keys, strict=True):
        reason, field = row["reason"].rsplit("|", 1)
        # The customer's id is personal: the record keeps its key instead.
        landed = {name: row[name] for name in HEADER} | {"customer_id": f"key:{key}" if key else None}
        value = landed[field]
        records.append(
            {
                "channel": SOURCE,
                "partition_date": export_date,
                "source_file": f"{SOURCE}/{export_date.isoformat()}/{path.name}",
                "source_position": str(row["position"]),
                "complaint_id": None,
                "check_name": "crm_export",
                "failing_column": field,
                "failing_value": value,
                "reason": reason,
                "raw_record": json.dumps(landed, ensure_ascii=False),
            }
        )
    return pa.Table.from_pylist(records, schema=QUARANTINE_SCHEMA)


def load(days: list[dt.date], settings) -> dict | None:
    """The newest CRM export of these dates into the warehouse, in one transaction (load_exports)."""
    from complaints_pipeline.reference import CHANNELS
    from complaints_pipeline.warehouse import Connection, ensure_schema

    with Connection(settings) as con:
        ensure_schema(con, list(CHANNELS))
        con.begin()
        try:
            loaded = load_exports(con, settings, days)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return loaded


def load_exports(con, settings, days: list[dt.date]) -> dict | None:
    """In the load's transaction: the newest CRM export of these dates, if it is newer than the one loaded, in
    raw.crm_customers (replaced whole), its bad rows in raw.quarantine. Returns what it loaded, or None."""
    exports = export_files(settings.landing_dir, days)
    if not exports:
        return None
    export_date, path = exports[-1]
    [(loaded_date,)] = con.execute("select max(export_date) from raw.crm_customers").fetchall()
    if loaded_date is not None and loaded_date > export_date:
        log.info("CRM export of %s not loaded: the one of %s is newer", export_date, loaded_date)
        return None
    good, bad = check(path, export_date, settings.pii_key)
    folder = settings.staging_dir / SOURCE / export_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(good, folder / "customers.parquet")
    pq.write_table(bad, folder / "quarantine.parquet")
    con.execute("delete from raw.crm_customers")
    con.insert_parquet("raw.crm_customers", list(COLUMNS), folder / "customers.parquet")
    con.execute("delete from raw.quarantine where channel = ? and partition_date = ?", [SOURCE, export_date])
    con.insert_parquet("raw.quarantine", QUARANTINE_SCHEMA.names, folder / "quarantine.parquet")
    log.info("CRM export of %s: %d customers loaded, %d quarantined", export_date, good.num_rows, bad.num_rows)
    return {"export_date": export_date.isoformat(), "loaded": good.num_rows, "quarantined": bad.num_rows}
