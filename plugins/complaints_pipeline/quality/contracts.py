"""A channel's raw contract: its records' fields as they landed, judged before any is converted."""

import logging
from dataclasses import dataclass

import pyarrow as pa

from complaints_pipeline.quality.results import kept_result
from complaints_pipeline.quality.rows import failing_rows, suite_columns
from complaints_pipeline.quality.suites import ROW_ID, Problem

log = logging.getLogger(__name__)


@dataclass
class ContractOutcome:
    """A raw contract on landed records: the problems of each failing record (by its index)."""

    failures: dict[int, list[Problem]]
    expectations_failed: list[str]
    result: dict


def contract_fields(suite) -> list[str]:
    """The landed fields a channel's raw contract reads (its meta lists them; every column it checks is one)."""
    fields = list((suite.meta or {}).get("landed_fields", []))
    unlisted = [column for column in suite_columns(suite) if column not in fields]
    if unlisted:
        raise ValueError(f"suite {suite.name} reads {unlisted}, which its meta.landed_fields does not list")
    return fields


def check_contract(landed: pa.Array, suite, where: list[str]) -> ContractOutcome:
    """Run a channel's raw contract on landed records (LANDED_KEY's JSON objects); where[i] names record i."""
    import duckdb

    fields = contract_fields(suite)
    records = pa.table({"landed": landed})  # noqa: F841 - read by DuckDB
    columns = ", ".join(f'json_extract_string(landed, \'$."{name}"\') as "{name}"' for name in fields)
    with duckdb.connect() as con:
        frame = con.sql(f"select {columns} from records").to_arrow_table().to_pandas()
    frame[ROW_ID] = range(len(frame))
    result, failures, failed = failing_rows(frame, suite, {})
    log.info("raw contract %s on %d records: %d failed %s", suite.name, len(frame), len(failures), failed)
    return ContractOutcome(failures, failed, kept_result(result, where))
