"""The benchmarks' scratch folders: the pipeline's settings pointed at a folder of their own, and a long history
made from a few loaded days in SQL (generating and extracting it would take longer than what is measured)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from complaints_pipeline import warehouse  # noqa: E402
from complaints_pipeline.config import Settings, load_settings  # noqa: E402
from complaints_pipeline.reference import CHANNELS  # noqa: E402

HISTORY_LOADED_AT = dt.datetime(2000, 1, 1)
TIMESTAMPS = ("received_at", "first_response_at", "resolved_at", "version_at")
_PLACES = ("COMPLAINTS_WAREHOUSE", "COMPLAINTS_LANDING_DIR", "COMPLAINTS_STAGING_DIR", "COMPLAINTS_MAIL_DIR")


def scratch_settings(folder: Path | None, prefix: str) -> Settings:
    """Settings whose every file lives under ``folder`` (a new temporary folder if None); var/ stays untouched."""
    home = folder or Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["COMPLAINTS_HOME"] = str(home)
    for name in _PLACES:
        os.environ.pop(name, None)
    return load_settings()


def copy_back(settings: Settings, loaded: list[dt.date], history_days: int) -> int:
    """Copy the loaded days' raw rows back, a span of len(loaded) days at a time (ids suffixed, every timestamp
    shifted: a week keeps its weekdays), until ``history_days`` days precede the day after the last loaded one.
    The loaded days are consecutive; returns the raw rows now held."""
    period, new_day = len(loaded), loaded[-1] + dt.timedelta(days=1)
    first = new_day - dt.timedelta(days=history_days)
    spans = -(-(history_days - period) // period)
    back = f"(select cast(range as integer) as k from range(1, {spans} + 1)) as spans"
    con = warehouse.connect(settings.warehouse_path, memory_limit=settings.duckdb_memory_limit)
    try:
        con.begin()
        for channel in CHANNELS:
            table = f"raw.{channel}_complaints"
            columns = [c[0] for c in con.execute(f"describe {table}").fetchall()]
            shifted = {
                "complaint_id": "complaint_id || '~' || spans.k",
                "source_record_id": "source_record_id || '~' || spans.k",
                "partition_date": f"cast(partition_date - {period} * spans.k as date)",
                **{c: f"{c} - to_days({period} * spans.k)" for c in TIMESTAMPS},
            }
            select = ", ".join(shifted.get(c, c) for c in columns)
            con.execute(
                f"""
                insert into {table} ({", ".join(columns)})
                select {select}
                from {table} cross join {back}
                where partition_date - {period} * spans.k >= ?
                """,
                [first],
            )
        columns = [c[0] for c in con.execute("describe raw.load_reconciliation").fetchall()]
        shifted = {"partition_date": f"cast(partition_date - {period} * spans.k as date)", "loaded_at": "?"}
        con.execute(
            f"""
            insert into raw.load_reconciliation ({", ".join(columns)})
            select {", ".join(shifted.get(c, c) for c in columns)}
            from raw.load_reconciliation cross join {back}
            where partition_date - {period} * spans.k >= ?
            """,
            [HISTORY_LOADED_AT, first],
        )
        # The copies reach back into earlier years: their public holidays, as the loader adds them.
        warehouse.ensure_holidays(con, settings.holiday_country, settings.holiday_subdivision)
        con.commit()
        return sum(con.execute(f"select count(*) from raw.{ch}_complaints").fetchone()[0] for ch in CHANNELS)
    finally:
        con.close()


def complaints_in_marts(settings: Settings) -> int:
    """The complaints marts.complaints holds (one row per complaint)."""
    con = warehouse.connect(settings.warehouse_path, read_only=True)
    try:
        return con.execute("select count(*) from marts.complaints").fetchone()[0]
    finally:
        con.close()
