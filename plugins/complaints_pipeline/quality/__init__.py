"""The Great Expectations quality gate, one module per job: suite files and the GX context (`suites`), row-level
validation (`rows`), a channel's raw contract (`contracts`), results as Data Docs store them (`results`), and
the day gate (`day_gate`)."""

from complaints_pipeline.quality.contracts import ContractOutcome, check_contract, contract_fields
from complaints_pipeline.quality.day_gate import (
    DAY_SUITE_FILE,
    HISTORY_DAYS,
    MIN_HISTORY_DAYS,
    PROFILED_COLUMNS,
    DayGate,
    allowed_quarantined,
    day_parameters,
    gate_day,
    judge_day,
    profile_day,
)
from complaints_pipeline.quality.results import PARTIAL, merge_results
from complaints_pipeline.quality.rows import ValidationOutcome, explain, validate
from complaints_pipeline.quality.suites import load_suite, load_suite_document

__all__ = [
    "DAY_SUITE_FILE",
    "HISTORY_DAYS",
    "MIN_HISTORY_DAYS",
    "PARTIAL",
    "PROFILED_COLUMNS",
    "ContractOutcome",
    "DayGate",
    "ValidationOutcome",
    "allowed_quarantined",
    "check_contract",
    "contract_fields",
    "day_parameters",
    "explain",
    "gate_day",
    "judge_day",
    "load_suite",
    "load_suite_document",
    "merge_results",
    "profile_day",
    "validate",
]
