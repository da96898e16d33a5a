"""Two warehouses' marts compared row by row, and a history load that makes the marts to compare against.

Used where two ways of building must give the same marts: DuckDB and PostgreSQL (test_cross_adapter), and
the schedule's daily runs and one load of the whole range (test_server_mode).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math

from helpers import query

from complaints_pipeline import pipeline
from complaints_pipeline.assets import MARTS
from complaints_pipeline.ingest import BatchBlockedError
from complaints_pipeline.reference import CHANNELS

# When each row's complaint was loaded: lineage, the one column two builds of the same data differ in.
NOT_COMPARED = {"loaded_at"}

Mart = tuple[list[str], list[tuple]]


def load_and_build(days: list[dt.date], run_id: str, extract: bool = True) -> None:
    """The configured installation loads these landing dates as one run, the stages called as the DAG's tasks
    call them: a blocked channel-day is loaded as blocked, the others as staged (extract=False: already staged)."""
    dates = [d.isoformat() for d in days]
    if extract:
        for channel in CHANNELS:
            with contextlib.suppress(BatchBlockedError):
                pipeline.extract_channel(channel, dates)
    pipeline.load_warehouse(list(CHANNELS), dates, run_id=run_id)
    pipeline.load_customers(dates)
    pipeline.build_marts(dates, run_id=run_id)


def mart(settings, name: str) -> Mart:
    """A mart's compared columns, in order, and its rows (any order)."""
    columns = [
        c
        for (c,) in query(
            settings,
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
            "order by ordinal_position",
            [name],
        )
        if c not in NOT_COMPARED
    ]
    return columns, query(settings, f"select {', '.join(columns)} from marts.{name}")


def marts(settings) -> dict[str, Mart]:
    return {name: mart(settings, name) for name in MARTS}


def _sort_key(row: tuple) -> tuple:
    # Floats last in the key and rounded: two builds' last bits may differ.
    return tuple((1, round(v, 6)) if isinstance(v, float) else (0, v is None, str(v)) for v in row)


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def assert_same_mart(name: str, left: tuple[str, Mart], right: tuple[str, Mart]) -> None:
    """The two builds (each a label and the mart) hold the same columns and rows, floats within 1e-9."""
    (left_label, (left_columns, left_rows)), (right_label, (right_columns, right_rows)) = left, right
    assert left_columns == right_columns, f"marts.{name}: {left_label} and {right_label} have other columns"
    assert len(left_rows) == len(right_rows) > 0, (name, left_label, len(left_rows), right_label, len(right_rows))
    differences = [
        f"{column}: {left_label} {a!r}, {right_label} {b!r} in {dict(zip(left_columns, one, strict=True))}"
        for one, other in zip(sorted(left_rows, key=_sort_key), sorted(right_rows, key=_sort_key), strict=True)
        for column, a, b in zip(left_columns, one, other, strict=True)
        if not _same(a, b)
    ]
    assert not differences, f"marts.{name}: {len(differences)} differences, first: " + "\n".join(differences[:5])
    shape = f"{len(left_rows)} rows x {len(left_columns)} columns"
    print(f"marts.{name}: {shape} identical in {left_label} and {right_label}")
