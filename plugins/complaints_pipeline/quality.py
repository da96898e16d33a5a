"""The Great Expectations quality gate: run a suite file on a batch, split good rows from bad.

Failing rows are taken from GX's own result (unexpected row indexes), never from a second
hand-written copy of each rule.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa

# GX reads these at import; this machine has no internet and a run must not print progress bars.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

log = logging.getLogger(__name__)
# GX logs one INFO line per public API function at import; nothing a reader of task logs needs.
logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)

ROW_ID = "_row"


@dataclass
class ValidationOutcome:
    good: pa.Table
    rejects: list[dict] = field(default_factory=list)
    rows_checked: int = 0
    expectations_failed: list[str] = field(default_factory=list)
    result: dict = field(default_factory=dict)


def load_suite(path: Path):
    import great_expectations as gx  # heavy: imported only when a batch is validated

    return gx.ExpectationSuite(**json.loads(path.read_text(encoding="utf-8")))


def _describe(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


EARLIEST_RECEIVED_AT = dt.datetime(2000, 1, 1)


def suite_parameters(frame: pd.DataFrame) -> dict:
    """The suite's $PARAMETERs for a batch: received times from 2000 up to its landing date (+2 days
    of time-zone slack). Taken from the data, never from the clock."""
    landing = frame["partition_date"].dropna()
    last = max(landing) if len(landing) else dt.date(2100, 1, 1)
    latest = dt.datetime.combine(last, dt.time()) + dt.timedelta(days=2)
    return {"earliest_received_at": EARLIEST_RECEIVED_AT, "latest_received_at": latest}


@lru_cache(maxsize=1)
def _batch_definition():
    """One ephemeral GX context per process, reused for every chunk."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("complaints").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole")


def validate(table: pa.Table, suite, raw_records: pa.ChunkedArray | list | None = None) -> ValidationOutcome:
    """Validate canonical rows against the suite (an ExpectationSuite or its file); rows failing any
    row-level expectation are rejected, each with the landed record when raw_records gives it."""
    if isinstance(suite, Path):
        suite = load_suite(suite)
    # GX 1.x has no Arrow engine: its pandas engine gets the batch, integers kept nullable.
    batch_frame = table.to_pandas(types_mapper={pa.int32(): pd.Int32Dtype()}.get)
    batch_frame[ROW_ID] = range(len(batch_frame))
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": batch_frame})
    result = batch.validate(
        suite,
        expectation_parameters=suite_parameters(batch_frame),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    )

    failures: dict[int, list[tuple[str, str | None, str | None, str]]] = {}
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

    rejects = []
    for row_number, problems in sorted(failures.items()):
        row = batch_frame.iloc[row_number]
        name, column, value, _ = problems[0]
        shown = "; ".join(f"{reason} (got {v!r})" if v is not None else reason for _, _, v, reason in problems)
        raw = None if raw_records is None else raw_records[row_number]
        raw = raw.as_py() if isinstance(raw, pa.Scalar) else raw
        if raw is None:
            raw = json.dumps(row.drop(labels=[ROW_ID]).to_dict(), default=str, ensure_ascii=False)
        rejects.append(
            {
                "channel": row["channel"],
                "partition_date": row["partition_date"],
                "source_file": row["source_file"],
                "source_position": row["source_position"],
                "complaint_id": _describe(row["complaint_id"]),
                "check_name": name,
                "failing_column": column,
                "failing_value": value if value is None or len(value) <= 200 else value[:200] + "...",
                "reason": shown if len(shown) <= 1000 else shown[:1000] + "...",
                "raw_record": raw,
            }
        )
    keep = pa.array([True] * table.num_rows)
    if failures:
        keep = pa.array([i not in failures for i in range(table.num_rows)])
    log.info("validated %d rows: %d failed %s", len(batch_frame), len(failures), failed)
    return ValidationOutcome(
        good=table.filter(keep),
        rejects=rejects,
        rows_checked=len(batch_frame),
        expectations_failed=failed,
        result=result.to_json_dict(),
    )
