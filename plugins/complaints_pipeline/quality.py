"""The Great Expectations quality gate: run a suite file on a batch, split good rows from bad.

Failing rows are taken from GX's own result (unexpected row indexes), never from a second
hand-written copy of each rule.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import json
import logging
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa

from complaints_pipeline.config import TELEMETRY_OFF

# GX reads these at import; this machine has no internet and a run must not print progress bars.
for _name, _value in TELEMETRY_OFF.items():
    os.environ.setdefault(_name, _value)
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


def load_suite_document(path: Path) -> dict:
    """A suite file's JSON (the day suite is rebuilt per day, without what cannot be judged yet)."""
    return json.loads(path.read_text(encoding="utf-8"))


def load_suite(path: Path):
    import great_expectations as gx  # heavy: imported only when a batch is validated

    return gx.ExpectationSuite(**load_suite_document(path))


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


@lru_cache(maxsize=1)
def _batch_definition():
    """One ephemeral GX context per process, reused for every chunk."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("complaints").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole")


Problem = tuple[str, str | None, str | None, str]
# A frame this large is freed at once after its run (a full collection costs some 0.3 s in a task).
LARGE_FRAME_ROWS = 10_000  # (expectation, column, failing value, reason)


def _failing_rows(frame: pd.DataFrame, suite, parameters: dict) -> tuple[dict, dict[int, list[Problem]], list[str]]:
    """Run a row-level suite on a frame with a ROW_ID column: (GX result, problems per row, failed names)."""
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
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
    result, failures, failed = _failing_rows(batch_frame, suite, suite_parameters(batch_frame))

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
        result=_kept_result(result, where.tolist()),
    )


# ---------------------------------------------------------------- a channel's raw contract


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
    result, failures, failed = _failing_rows(frame, suite, {})
    log.info("raw contract %s on %d records: %d failed %s", suite.name, len(frame), len(failures), failed)
    return ContractOutcome(failures, failed, _kept_result(result, where))


PARTIAL = 20  # failing rows a stored result keeps per expectation, as GX's SUMMARY format does


def _kept_result(result: dict, where: list[str]) -> dict:
    """A chunk's result as stored for Data Docs: at most PARTIAL failing values per expectation, each
    row named by where (its file and position) instead of its index in the chunk (the quarantine has them all)."""
    for item in result["results"]:
        detail = item.get("result") or {}
        for key in ("unexpected_list", "unexpected_index_query", "partial_unexpected_index_list"):
            detail.pop(key, None)
        if "unexpected_index_list" in detail:
            detail["unexpected_index_list"] = [
                {
                    **{k: v for k, v in entry.items() if k != ROW_ID},
                    "record": where[int(entry[ROW_ID])],
                }
                for entry in detail["unexpected_index_list"][:PARTIAL]
            ]
            detail["unexpected_index_column_names"] = ["record"]
    return result


def merge_results(results: list[dict]) -> dict:
    """One suite's results on the chunks of a day, as one result: counts summed, percentages
    recomputed, failing values kept up to PARTIAL. Row-level expectations only (as chunked suites are)."""
    if len(results) == 1:
        return results[0]
    merged = copy.deepcopy(results[0])
    for index, item in enumerate(merged["results"]):
        parts = [result["results"][index] for result in results]
        item["success"] = all(part["success"] for part in parts)
        detail = item.get("result") or {}
        details = [part.get("result") or {} for part in parts]
        for key in ("element_count", "unexpected_count", "missing_count"):
            if key in detail:
                detail[key] = sum(d.get(key, 0) for d in details)
        count, unexpected = detail.get("element_count", 0), detail.get("unexpected_count", 0)
        present = count - detail.get("missing_count", 0)
        if "unexpected_percent" in detail:
            detail["unexpected_percent"] = 100 * unexpected / present if present else None
        if "unexpected_percent_total" in detail:
            detail["unexpected_percent_total"] = 100 * unexpected / count if count else None
        if "unexpected_percent_nonmissing" in detail:
            detail["unexpected_percent_nonmissing"] = detail["unexpected_percent"]
        if "missing_percent" in detail:
            detail["missing_percent"] = 100 * detail["missing_count"] / count if count else None
        for key in ("partial_unexpected_list", "unexpected_index_list"):
            if key in detail:
                detail[key] = [value for d in details for value in d.get(key, [])][:PARTIAL]
        if "partial_unexpected_counts" in detail:
            counts: Counter = Counter()
            values = {}
            for d in details:
                for entry in d.get("partial_unexpected_counts", []):
                    key = json.dumps(entry["value"], sort_keys=True, default=str)
                    counts[key] += entry["count"]
                    values[key] = entry["value"]
            detail["partial_unexpected_counts"] = [
                {"value": values[key], "count": n} for key, n in counts.most_common(PARTIAL)
            ]
    evaluated = len(merged["results"])
    successful = sum(1 for item in merged["results"] if item["success"])
    merged["success"] = successful == evaluated
    merged["statistics"] = {
        "evaluated_expectations": evaluated,
        "successful_expectations": successful,
        "unsuccessful_expectations": evaluated - successful,
        "success_percent": 100 * successful / evaluated if evaluated else None,
    }
    return merged


# ---------------------------------------------------------------- the day's gate (batch level)

DAY_SUITE_FILE = "complaints_day.json"
HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 7  # fewer staged days than this: volume and drift are not judged yet
PROFILED_COLUMNS = ("customer_key", "product", "region", "status")


@dataclass
class DayGate:
    """A channel's day judged as a whole: blocking failures, warnings, and the profile later days learn from."""

    blocked: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    profile: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)


def profile_day(frame: pd.DataFrame, new_rows: int | None = None) -> dict:
    """What the gate learns from a loaded day: its new complaints (the volume), its rows (new complaints and
    updates of older ones), filled values per column over the rows, categories."""
    categories = frame["category"].dropna().value_counts()
    return {
        "rows": len(frame) if new_rows is None else new_rows,
        "versions": len(frame),
        "filled": {column: int(frame[column].notna().sum()) for column in PROFILED_COLUMNS},
        "categories": {str(k): int(v) for k, v in categories.items()},
    }


def _meta(suite_document: dict, parameter: str) -> dict:
    """The meta of the expectation that reads a parameter."""
    for expectation in suite_document["expectations"]:
        if parameter in _parameters_read(expectation["kwargs"]):
            return expectation.get("meta") or {}
    raise KeyError(f"no expectation in suite {suite_document['name']} reads ${parameter}")


QUARANTINE_CONFIDENCE = 0.95


def allowed_quarantined(records: int, share: float, confidence: float = QUARANTINE_CONFIDENCE) -> int:
    """The most quarantined records a day of `records` may hold before its quarantined share is significantly
    above `share` (a one-sided binomial test at 1 - confidence). A big day is held to about the share itself
    (1,000,000 records: 50,359 at 5 %); a small one may have a few bad records (16: 2) without its good ones
    being withheld, as one bad post among 15 is no evidence that the export broke."""
    if share >= 1 or records == 0:
        return records
    if share <= 0:
        return 0
    from scipy.stats import binom

    return int(binom.ppf(confidence, records, share))


def day_parameters(
    suite: dict, history: list[dict], working_day: bool, loaded: int, quarantined: int, max_quarantined_share: float
) -> dict:
    """The day suite's $PARAMETERs, learned from earlier days' profiles (newest first, blocked days left out)."""
    rows = [profile["rows"] for profile in history]
    enough = len(history) >= MIN_HISTORY_DAYS
    tolerance = float(_meta(suite, "usual_rows_low").get("tolerance", 4))
    parameters = {
        # an export arrived: any record, new complaint or update
        "min_rows_on_working_day": 1 if working_day and any(p.get("versions", p["rows"]) for p in history) else 0,
        "min_rows_kept": loaded + quarantined - allowed_quarantined(loaded + quarantined, max_quarantined_share),
        "usual_rows_low": math.floor(min(rows) / tolerance) if enough else 0,
        "usual_rows_high": math.ceil(max(rows) * tolerance) if enough and max(rows) else None,
    }
    total = sum(profile.get("versions", profile["rows"]) for profile in history)
    for column in PROFILED_COLUMNS:
        slack = float(_meta(suite, f"min_filled_{column}").get("tolerance", 0.3))
        filled = sum(profile["filled"].get(column, 0) for profile in history) / total if total else 0.0
        parameters[f"min_filled_{column}"] = round(max(0.0, filled - slack), 6) if enough else 0.0
    shares: dict[str, int] = {}
    for profile in history:
        for category, count in profile["categories"].items():
            shares[category] = shares.get(category, 0) + count
    judged = enough and sum(1 for profile in history if profile["categories"]) >= MIN_HISTORY_DAYS
    if judged:
        categories = sorted(shares)
        weights = [shares[c] / sum(shares.values()) for c in categories]
        parameters["category_partition"] = {"values": categories, "weights": weights}
        parameters["category_drift_threshold"] = float(_meta(suite, "category_partition").get("threshold", 0.1))
    else:  # nothing learned yet: a partition nothing can drift from
        parameters["category_partition"] = None
        parameters["category_drift_threshold"] = None
    return parameters


def _parameters_read(kwargs: object) -> set[str]:
    """The $PARAMETER names an expectation's kwargs read."""
    if isinstance(kwargs, dict):
        if set(kwargs) == {"$PARAMETER"}:
            return {kwargs["$PARAMETER"]}
        return set().union(*(_parameters_read(v) for v in kwargs.values())) if kwargs else set()
    return set()


def _figures(expectation_result, parameters: dict, read: set[str]) -> str:
    """The observed figure and what was expected, for a person reading a failed task's log."""
    result = expectation_result.result or {}
    config = expectation_result.expectation_config
    if "unexpected_percent" in result:
        share = result["unexpected_percent"]
        observed = f"{result.get('unexpected_count')} of {result.get('element_count')} empty ({share:.1f} %)"
    elif config.type == "expect_column_kl_divergence_to_be_less_than" and result.get("observed_value") is None:
        observed = "a category the last 28 days never had"
    else:
        observed = f"observed {result.get('observed_value')}"
    learned = ", ".join(f"{name} {parameters[name]}" for name in sorted(read) if not isinstance(parameters[name], dict))
    return f"{observed}; {learned}" if learned else observed


def gate_day(frame: pd.DataFrame, suite_document: dict, parameters: dict) -> DayGate:
    """Run the day suite (its file's JSON) on a channel's loaded rows for one date. Expectations whose
    parameters could not be learned yet (None) are left out; a failure of severity 'critical' blocks the
    day, any other is a warning."""
    import great_expectations as gx

    kept = [
        e
        for e in suite_document["expectations"]
        if all(parameters.get(p) is not None for p in _parameters_read(e["kwargs"]))
    ]
    suite = gx.ExpectationSuite(**{**suite_document, "expectations": kept})
    if len(suite.expectations) != len(kept):  # GX drops an expectation it cannot read (a bad severity)
        raise ValueError(
            f"suite {suite_document['name']}: {len(kept) - len(suite.expectations)} expectations unreadable"
        )
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, expectation_parameters=parameters, result_format="BASIC")
    gate = DayGate(parameters=parameters, result=result.to_json_dict())
    # GX reports kwargs with the values filled in: which parameters each expectation read is kept here.
    reads = {(e["type"], json.dumps(e.get("meta"), sort_keys=True)): _parameters_read(e["kwargs"]) for e in kept}
    for expectation_result in result.results:
        if expectation_result.success:
            continue
        config = expectation_result.expectation_config
        meta = config.meta or {}
        column = config.kwargs.get("column")
        name = f"{config.type}({column})" if column else config.type
        read = reads.get((config.type, json.dumps(config.meta, sort_keys=True)), set())
        message = f"{name}: {meta.get('reason', name)} ({_figures(expectation_result, parameters, read)})"
        (gate.blocked if config.severity == "critical" else gate.warnings).append(message)
    return gate


# ---------------------------------------------------------------- the day's gate, source by source


def _source_profiles(profile: dict, default_source: str) -> dict[str, dict]:
    """A staged day's profile per record source (a profile staged before sources were told apart is the
    channel's own source's)."""
    return profile.get("sources", {default_source: profile})


def _applies(expectation: dict, source: str) -> bool:
    sources = (expectation.get("meta") or {}).get("sources")
    return sources is None or source in sources


def _is_row_count(expectation: dict) -> bool:
    return expectation["type"] == "expect_table_row_count_to_be_between"


def _counts(expectation: dict) -> str:
    return (expectation.get("meta") or {}).get("counts", "new_complaints")


def judge_day(
    frame: pd.DataFrame,
    suite: dict,
    history: list[dict],
    *,
    working_day: bool,
    loaded: int,
    quarantined: int,
    max_quarantined_share: float,
    default_source: str,
    day_start: dt.datetime,
) -> DayGate:
    """The day suite on a channel's loaded rows of one date, source by source: each record source (a web day
    may hold form submissions and a CFPB export) is judged on its own history, by the expectations that
    apply to it (meta.sources), and its volume is its new complaints (received on the day), not the
    updates of older ones. Expectations of meta.scope "day" judge the whole day once."""
    frame = frame.assign(is_new=frame["received_at"] >= pd.Timestamp(day_start))
    histories = [_source_profiles(profile, default_source) for profile in history]
    sources = sorted(set(frame["record_source"].dropna()) | {s for h in histories for s in h})
    day_level = [e for e in suite["expectations"] if (e.get("meta") or {}).get("scope") == "day"]
    per_source = [e for e in suite["expectations"] if e not in day_level]
    # The whole day's parameters (the quarantined share) need no history.
    parameters = day_parameters(suite, [], working_day, loaded, quarantined, max_quarantined_share)
    runs = [("day", gate_day(frame, {**suite, "expectations": day_level}, parameters))]
    profiles, learned = {}, {"day": parameters}
    for source in sources:
        part = frame[frame["record_source"] == source]
        new = part[part["is_new"]]
        empty = {"rows": 0, "versions": 0, "filled": {}, "categories": {}}
        source_history = [h.get(source, empty) for h in histories]
        learned[source] = day_parameters(suite, source_history, working_day, loaded, quarantined, 1.0)
        applying = [e for e in per_source if _applies(e, source)]
        # A row count reads the source's new complaints, or all its records where its meta.counts says
        # "records" (an export of updates only is still an export); the other expectations read all records.
        for name, rows, chosen in (
            ("volume", new, [e for e in applying if _is_row_count(e) and _counts(e) == "new_complaints"]),
            ("records", part, [e for e in applying if _is_row_count(e) and _counts(e) == "records"]),
            ("content", part, [e for e in applying if not _is_row_count(e)]),
        ):
            if chosen and (name != "content" or len(part)):
                runs.append((source, gate_day(rows, {**suite, "expectations": chosen}, learned[source])))
        if len(part):
            profiles[source] = profile_day(part, new_rows=len(new))
    return _combined(runs, profiles, learned, several=len(sources) > 1)


def _combined(runs: list[tuple[str, DayGate]], profiles: dict, parameters: dict, several: bool) -> DayGate:
    """One gate from the runs over the day and each source: messages name the source when there are several."""
    gate = DayGate(profile={"sources": profiles}, parameters=parameters)
    results = []
    for source, run in runs:
        prefix = f"{source}: " if several and source != "day" else ""
        gate.blocked += [prefix + m for m in run.blocked]
        gate.warnings += [prefix + m for m in run.warnings]
        for item in run.result.get("results", []):
            item = copy.deepcopy(item)
            config = item.get("expectation_config") or {}
            config["meta"] = {**(config.get("meta") or {}), "record_source": source}
            results.append(item)
    first = copy.deepcopy(runs[0][1].result)
    successful = sum(1 for item in results if item.get("success"))
    first["results"] = results
    first["success"] = successful == len(results)
    first["statistics"] = {
        "evaluated_expectations": len(results),
        "successful_expectations": successful,
        "unsuccessful_expectations": len(results) - successful,
        "success_percent": 100 * successful / len(results) if results else None,
    }
    gate.result = first
    return gate
