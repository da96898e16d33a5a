"""The day gate: a channel's day judged as a whole by the day suite, source by source, with parameters learned
from the channel's earlier staged days; a critical failure blocks the day."""

import copy
import datetime as dt
import json
import math
from dataclasses import dataclass, field

import pandas as pd

from complaints_pipeline.quality.suites import batch_definition

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
    batch = batch_definition().get_batch(batch_parameters={"dataframe": frame})
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
