"""Validation results as Data Docs store them: chunks' results merged into one per suite, channel and day,
keeping a sample of failing values."""

import copy
import json
from collections import Counter

from complaints_pipeline.quality.suites import ROW_ID

PARTIAL = 20  # failing rows a stored result keeps per expectation, as GX's SUMMARY format does


def kept_result(result: dict, where: list[str]) -> dict:
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
