"""Extract stage: one channel's landed files for some dates -> validated rows and rejects, staged as Parquet.

Runs in parallel per channel and never touches the warehouse: the single writer loads what it stages.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from complaints_pipeline import quality
from complaints_pipeline.config import Settings
from complaints_pipeline.sources import FILE_PATTERNS, PARSERS
from complaints_pipeline.sources.base import CANONICAL_SCHEMA, QUARANTINE_SCHEMA, ParseContext, Reject

log = logging.getLogger(__name__)

SUITE_FILE = "complaints.json"


def landed_files(landing_dir: Path, channel: str, day: dt.date) -> list[Path]:
    folder = landing_dir / channel / day.isoformat()
    return sorted(p for pattern in FILE_PATTERNS[channel] for p in folder.glob(pattern))


def staging_folder(staging_dir: Path, channel: str, day: dt.date) -> Path:
    return staging_dir / channel / day.isoformat()


def _parse_day(channel: str, day: dt.date, settings: Settings) -> tuple[list[dict], list[dict], int]:
    ctx = ParseContext(channel, settings.landing_dir, day, settings.local_tz, settings.pii_key)
    files = landed_files(settings.landing_dir, channel, day)
    rows: list[dict] = []
    rejects: list[dict] = []
    for path in files:
        for item in PARSERS[channel](path, ctx):
            if isinstance(item, Reject):
                rejects.append({"channel": channel, "partition_date": day, **asdict(item)})
            else:
                rows.append(item)
    return rows, rejects, len(files)


def _to_frame(rows: list[dict]) -> pd.DataFrame:
    table = pa.Table.from_pylist(rows, schema=CANONICAL_SCHEMA)
    return table.to_pandas(types_mapper={pa.int32(): pd.Int32Dtype()}.get)


def _write_atomically(folder: Path, good: pd.DataFrame, rejects: list[dict], summary: dict) -> None:
    """Replace a date's staged files as a whole, so a failed run never leaves half of them."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pq.write_table(
        pa.Table.from_pandas(good, schema=CANONICAL_SCHEMA, preserve_index=False), tmp / "complaints.parquet"
    )
    pq.write_table(pa.Table.from_pylist(rejects, schema=QUARANTINE_SCHEMA), tmp / "quarantine.parquet")
    (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def extract(channel: str, days: list[dt.date], settings: Settings) -> dict:
    """Parse and validate a channel's files for the given dates; stage each date's result."""
    parsed = {day: _parse_day(channel, day, settings) for day in days}
    frame = _to_frame([row for rows, _, _ in parsed.values() for row in rows])
    outcome = quality.validate(frame, settings.expectations_dir / SUITE_FILE)
    quality_dir = settings.home / "quality" / channel
    quality_dir.mkdir(parents=True, exist_ok=True)
    totals = {"channel": channel, "dates": len(days), "records_in": 0, "loaded": 0, "quarantined": 0}
    for day, (rows, parse_rejects, file_count) in parsed.items():
        good = outcome.good[outcome.good["partition_date"] == day]
        rejects = parse_rejects + [r for r in outcome.rejects if r["partition_date"] == day]
        summary = {
            "channel": channel,
            "partition_date": day.isoformat(),
            "files": file_count,
            "records_in": len(rows) + len(parse_rejects),
            "loaded": len(good),
            "quarantined": len(rejects),
            "skipped": 0,
            "expectations_failed": outcome.expectations_failed,
        }
        _write_atomically(staging_folder(settings.staging_dir, channel, day), good, rejects, summary)
        for key in ("records_in", "loaded", "quarantined"):
            totals[key] += summary[key]
    (quality_dir / f"{min(days)}_{max(days)}.json").write_text(
        json.dumps(outcome.result, default=str), encoding="utf-8"
    )
    totals["expectations_failed"] = outcome.expectations_failed
    log.info("extracted %s", totals)
    return totals
