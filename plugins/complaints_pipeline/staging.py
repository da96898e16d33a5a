"""The staging area's layout: one folder per channel and landing date, holding the day's Parquet tables
(complaints, quarantine, skipped) and summary.json; written whole in a temporary folder, then swapped in.

The extract stage writes it; the loader reads it; both ask it which dates' landed files changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import shutil
from collections.abc import Generator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from complaints_pipeline.sources import FILE_PATTERNS
from complaints_pipeline.sources.base import CANONICAL_SCHEMA, QUARANTINE_SCHEMA, SKIPPED_SCHEMA, STAGING_SCHEMA

# The tables of a staged day and their schemas: every staged day has all three files.
TABLES: dict[str, pa.Schema] = {
    "complaints": CANONICAL_SCHEMA,
    "quarantine": QUARANTINE_SCHEMA,
    "skipped": SKIPPED_SCHEMA,
}


def landed_files(landing_dir: Path, channel: str, day: dt.date, landed_by: float | None = None) -> list[Path]:
    """The channel's files landed for a date; with landed_by (a POSIX time), only those landed by then: a file
    counts as landed at its modification time (the intraday run reads what had landed by its data interval's
    end, so a replay or a rerun of it reads the same)."""
    folder = landing_dir / channel / day.isoformat()
    files = sorted(p for pattern in FILE_PATTERNS[channel] for p in folder.glob(pattern) if p.is_file())
    return files if landed_by is None else [p for p in files if p.stat().st_mtime <= landed_by]


@contextlib.contextmanager
def day_lock(staging_dir: Path, channel: str, day: dt.date) -> Generator[None]:
    """One extract at a time per channel and date (the daily run and an intraday run can meet at midnight):
    the second waits, then stages from what the first left."""
    path = staging_dir / channel / f".{day.isoformat()}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def staging_folder(staging_dir: Path, channel: str, day: dt.date) -> Path:
    return staging_dir / channel / day.isoformat()


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def staged_summary(staging_dir: Path, channel: str, day: dt.date) -> dict | None:
    path = staging_folder(staging_dir, channel, day) / "summary.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def loaded_file_digests(staging_dir: Path, channel: str, exclude: set[dt.date]) -> dict[str, str]:
    """sha256 -> 'date/file' of every file staged for other dates: a file landed twice loads once."""
    known: dict[str, str] = {}
    for summary_path in sorted((staging_dir / channel).glob("*/summary.json")):
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        if dt.date.fromisoformat(summary["partition_date"]) in exclude:
            continue
        for entry in summary.get("files", []):
            if entry.get("duplicate_of") is None:
                known.setdefault(entry["sha256"], entry["file"])
    return known


def dates_with_new_files(
    landing_dir: Path, staging_dir: Path, channel: str, days: list[dt.date], landed_by: float | None = None
) -> list[dt.date]:
    """Dates whose landed files (by landed_by, when given) differ from what was staged for them: a file that
    landed late, or since the last intraday run."""
    stale = []
    for day in days:
        files = landed_files(landing_dir, channel, day, landed_by)
        if not files:
            continue
        summary = staged_summary(staging_dir, channel, day)
        staged = {(f["file"], f["bytes"]) for f in (summary or {}).get("files", [])}
        current = {(p.relative_to(landing_dir).as_posix(), p.stat().st_size) for p in files}
        if current != staged:
            stale.append(day)
    return stale


def rows_to_table(rows: list[dict]) -> pa.Table:
    """Canonical rows (dicts from a row parser) as one Arrow table, the landed record in RAW_KEY."""
    return pa.Table.from_pylist(rows, schema=STAGING_SCHEMA)


class StagedDay:
    """Parquet part files of one channel and date, written in a temporary folder and swapped in whole."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(parents=True)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._done: set[str] = set()

    def read(self, name: str, columns: list[str]) -> pd.DataFrame:
        """Finish one table and read some of its columns back (no more rows may be written to it)."""
        writer = self._writers.pop(name, None)
        if writer is not None:
            writer.close()
            self._done.add(name)
            return pq.read_table(self.tmp / f"{name}.parquet", columns=columns).to_pandas()
        return TABLES[name].empty_table().select(columns).to_pandas()

    def write(self, name: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self.tmp / f"{name}.parquet", table.schema)
        self._writers[name].write_table(table)

    def commit(self, summary: dict) -> None:
        for writer in self._writers.values():
            writer.close()
        for name, schema in TABLES.items():  # every table exists, so the loader reads three files
            if name not in self._writers and name not in self._done:
                pq.write_table(schema.empty_table(), self.tmp / f"{name}.parquet")
        (self.tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.tmp.rename(self.folder)

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
