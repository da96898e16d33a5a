"""The run report: after each publication, one self-contained HTML page of KPIs against targets, root causes,
volume against expected with surges, the open book and data quality, plus `latest.html`; both open offline.

Pages live in `$COMPLAINTS_HOME/published/reports/`, named after the run (`report_name`), so the alert email
of the same run can link to its page before it is written. The newest `reports_kept` run pages are kept.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from pathlib import Path

from complaints_pipeline import data_docs
from complaints_pipeline.config import Settings
from complaints_pipeline.report import data, page

log = logging.getLogger(__name__)

LATEST = "latest.html"


def reports_dir(settings: Settings) -> Path:
    return settings.published_dir / "reports"


def report_name(run_id: str | None) -> str:
    """The page of a run: its id made safe for a file name (a run id holds colons and plus signs)."""
    return "report-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id or "manual") + ".html"


def report_link(settings: Settings, run_id: str | None, base_url: str | None = None) -> str:
    """Where a reader finds the run's page: under the served reports folder (setting report_url), else its
    file URI."""
    name = report_name(run_id)
    if base_url:
        return base_url.rstrip("/") + "/" + name
    return (reports_dir(settings) / name).resolve().as_uri()


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a reader opening the page never sees half of it."""
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)


def write(settings: Settings, run_id: str | None = None) -> Path:
    """Write the run's page and latest.html from the published marts; returns the run's page."""
    source = data_docs.asset_source()
    if source is None:
        raise RuntimeError(f"the chart scripts are not installed in {settings.data_docs_assets}: run `make setup`")
    folder = reports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    docs_href = settings.data_docs_url or os.path.relpath(data_docs.index_page(settings), folder)
    text = page.render(data.read(settings), source, docs_href)
    target = folder / report_name(run_id)
    _write(target, text)
    _write(folder / LATEST, text)
    _prune(folder, settings.reports_kept)
    log.info("report of run %s: %s (%s KiB)", run_id, target, f"{len(text.encode()) // 1024:,}")
    return target


def _prune(folder: Path, keep: int) -> None:
    pages = sorted(folder.glob("report-*.html"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in pages[keep:]:
        old.unlink(missing_ok=True)
