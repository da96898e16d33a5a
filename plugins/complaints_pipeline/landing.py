"""Landing files by hand (`complaints land`, `complaints quarantine replay`): checked, then copied in whole.

A file is landed only if the channel reads files of its name and its parse finds records; it is copied under a
temporary name and renamed, so a run never reads half a file. A replaced file is kept under
$COMPLAINTS_HOME/replaced/<channel>/<date>/.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from complaints_pipeline.config import Settings
from complaints_pipeline.sources import FILE_PATTERNS, PARSERS
from complaints_pipeline.sources.base import ParseContext, Reject, Skip


class LandingError(ValueError):
    """A file that cannot be landed, and why."""


@dataclass
class Landed:
    target: Path
    records: int
    rejected: int
    first_reason: str | None
    kept: Path | None = None


def read_check(settings: Settings, channel: str, day: dt.date, path: Path) -> Landed:
    """Parse the file as the channel's extract would (parsers only, not the expectations): records and rejects."""
    ctx = ParseContext(
        channel,
        path.parent,
        day,
        settings.local_tz,
        settings.pii_key,
        settings.service_mailboxes,
        settings.service_handles,
    )
    records = rejected = 0
    first_reason = None
    for item in PARSERS[channel](path, ctx):
        if isinstance(item, pa.Table):
            records += item.num_rows
        elif isinstance(item, Reject):
            rejected += item.holds
            first_reason = first_reason or f"{item.source_position}: {item.reason}"
        elif not isinstance(item, Skip):
            records += 1
    return Landed(path, records, rejected, first_reason)


def land(
    settings: Settings,
    channel: str,
    day: dt.date,
    files: list[Path],
    replace: bool = False,
    must_replace: bool = False,
) -> list[Landed]:
    """Check every file first, then land them all; LandingError names the first file that cannot be landed."""
    folder = settings.landing_dir / channel / day.isoformat()
    patterns = FILE_PATTERNS[channel]
    checked = []
    for path in files:
        if not path.is_file():
            raise LandingError(f"{path} is not a file")
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
            raise LandingError(f"{path.name}: {channel} reads only {', '.join(patterns)} files")
        target = folder / path.name
        if target.exists() and not replace:
            raise LandingError(f"{target} is landed already; --replace to replace it (the old one is kept)")
        if must_replace and not target.exists():
            landed = sorted(p.name for p in folder.glob("*")) if folder.exists() else []
            raise LandingError(
                f"no landed file {path.name} in {folder} to replace (landed there: {', '.join(landed) or 'none'});"
                " name the fixed file as the one it fixes"
            )
        result = read_check(settings, channel, day, path)
        if result.records == 0 and result.rejected:
            raise LandingError(f"{path.name} holds nothing {channel} can read: {result.first_reason}")
        checked.append((path, target, result))
    out = []
    for path, target, result in checked:
        folder.mkdir(parents=True, exist_ok=True)
        kept = None
        if target.exists():
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
            kept = settings.home / "replaced" / channel / day.isoformat() / f"{stamp}-{target.name}"
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, kept)
        partial = folder / f".{target.name}.partial"
        shutil.copyfile(path, partial)
        os.replace(partial, target)
        out.append(Landed(target, result.records, result.rejected, result.first_reason, kept))
    return out
