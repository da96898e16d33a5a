"""Row-level validation: a suite run on a batch of canonical rows, good rows split from the failing ones, each
failure named. Failing rows are taken from GX's own result (unexpected row indexes), never from a second
hand-written copy of each rule."""

import datetime as dt
import gc
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from complaints_pipeline.quality.results import kept_result
from complaints_pipeline.quality.suites import ROW_ID, Problem, batch_definition, load_suite

log = logging.getLogger(__name__)


@dataclass
class ValidationOutcome:
    good: pa.Table
    rejects: list[dict] = field(default_factory=list)
    rows_checked: int = 0
    expectations_failed: list[str] = field(default_factory=list)
    result: dict = field(default_factory=dict)


def _describe(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a whole number (GX gets integer columns as floats)
    if isinstance(value, pd.Timestamp):
        return str(value.to_pydatetime())
    return str(value)


# Columns a reject names besides the failing one.
# version_kind: the canonical suite holds some expectations to whole records only (a row_condition on it).
_CONTEXT_COLUMNS = ("channel", "partition_date", "source_file", "source_position", "complaint_id", "version_kind")


def gx_frame(table: pa.Table, columns: list[str]) -> pd.DataFrame:
    """The columns as a pandas frame GX's vectorised checks take: integers as floats (nullable
    integers, like microsecond times, make GX compare value by value in Python), times in ns."""
    arrays = {}
    for name in columns:
        column = table.column(name)
        if pa.types.is_integer(column.type):
            column = column.cast(pa.float64())
        elif pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("ns"))
        arrays[name] = column
    return pa.table(arrays).to_pandas()


_COLUMNS_READ: dict[int, tuple[object, list[str]]] = {}


def suite_columns(suite) -> list[str]:
    """The columns a suite's expectations read (worked out once per suite: GX builds each
    expectation's configuration anew on every access, some 15 ms)."""
    known = _COLUMNS_READ.get(id(suite))
    if known is None or known[0] is not suite:
        names = []
        for expectation in suite.expectations:
            kwargs = expectation.configuration.kwargs
            names += [kwargs[key] for key in ("column", "column_A", "column_B") if kwargs.get(key)]
        known = _COLUMNS_READ[id(suite)] = (suite, list(dict.fromkeys(names)))
    return known[1]


EARLIEST_RECEIVED_AT = dt.datetime(2000, 1, 1)


def suite_parameters(frame: pd.DataFrame) -> dict:
    """The suite's $PARAMETERs for a batch: received times from 2000 up to its landing date (+2 days
    of time-zone slack). Taken from the data, never from the clock."""
    landing = frame["partition_date"].dropna()
    last = max(landing) if len(landing) else dt.date(2100, 1, 1)
    latest = dt.datetime.combine(last, dt.time()) + dt.timedelta(days=2)
    return {"earliest_received_at": EARLIEST_RECEIVED_AT, "latest_received_at": latest}


# A frame this large is freed at once after its run (a full collection costs some 0.3 s in a task).
LARGE_FRAME_ROWS = 10_000


def failing_rows(frame: pd.DataFrame, suite, parameters: dict) -> tuple[dict, dict[int, list[Problem]], list[str]]:
    """Run a row-level suite on a frame with a ROW_ID column: (GX result, problems per row, failed names)."""
    batch = batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        suite,
        expectation_parameters=parameters,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    )
    failures: dict[int, list[Problem]] = {}
    failed: list[str] = []
    for expectation_result in result.results:
        if expectation_result.success:
            continue
        config = expectation_result.expectation_config
        column = config.kwargs.get("column") or config.kwargs.get("column_A")
        name = f"{config.type}({column})"
        reason = (config.meta or {}).get("reason", name)
        failed.append(name)
        unexpected = expectation_result.result.get("unexpected_index_list")
        if unexpected is None:
            raise RuntimeError(f"expectation {name} failed for the whole batch: {expectation_result.result}")
        for item in unexpected:
            failures.setdefault(int(item[ROW_ID]), []).append((name, column, _describe(item.get(column)), reason))
    result = result.to_json_dict()
    del batch
    if len(frame) >= LARGE_FRAME_ROWS:
        gc.collect()  # GX's validator holds the frame in reference cycles: free it now, not chunks later
    return result, failures, failed


def explain(problems: list[Problem]) -> dict:
    """The quarantine columns for a row's problems: the first names the check, the reason lists all."""
    name, column, value, _ = problems[0]
    shown = "; ".join(f"{reason} (got {v!r})" if v is not None else reason for _, _, v, reason in problems)
    return {
        "check_name": name,
        "failing_column": column,
        "failing_value": value if value is None or len(value) <= 200 else value[:200] + "...",
        "reason": shown if len(shown) <= 1000 else shown[:1000] + "...",
    }


def validate(table: pa.Table, suite, raw_records: pa.ChunkedArray | list | None = None) -> ValidationOutcome:
    """Validate canonical rows against the suite (an ExpectationSuite or its file); rows failing any
    row-level expectation are rejected, each with the landed record when raw_records gives it."""
    if isinstance(suite, Path):
        suite = load_suite(suite)
    # GX 1.x has no Arrow engine: its pandas engine gets the columns the suite and a reject read.
    batch_frame = gx_frame(table, list(dict.fromkeys([*suite_columns(suite), *_CONTEXT_COLUMNS])))
    batch_frame[ROW_ID] = range(len(batch_frame))
    result, failures, failed = failing_rows(batch_frame, suite, suite_parameters(batch_frame))

    rejects = []
    for row_number, problems in sorted(failures.items()):
        row = batch_frame.iloc[row_number]
        raw = None if raw_records is None else raw_records[row_number]
        raw = raw.as_py() if isinstance(raw, pa.Scalar) else raw
        if raw is None:
            raw = json.dumps(table.slice(row_number, 1).to_pylist()[0], default=str, ensure_ascii=False)
        rejects.append(
            {
                "channel": row["channel"],
                "partition_date": row["partition_date"],
                "source_file": row["source_file"],
                "source_position": row["source_position"],
                "complaint_id": _describe(row["complaint_id"]),
                **explain(problems),
                "raw_record": raw,
            }
        )
    keep = pa.array([True] * table.num_rows)
    if failures:
        keep = pa.array([i not in failures for i in range(table.num_rows)])
    log.info("validated %d rows: %d failed %s", len(batch_frame), len(failures), failed)
    where = batch_frame["source_file"].astype(str) + " at " + batch_frame["source_position"].astype(str)
    return ValidationOutcome(
        good=table.filter(keep),
        rejects=rejects,
        rows_checked=len(batch_frame),
        expectations_failed=failed,
        result=kept_result(result, where.tolist()),
    )
