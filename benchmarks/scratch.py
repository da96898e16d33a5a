"""The benchmarks' scratch folders: the pipeline's settings pointed at a folder of their own."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from complaints_pipeline.config import Settings, load_settings  # noqa: E402

_PLACES = ("COMPLAINTS_WAREHOUSE", "COMPLAINTS_LANDING_DIR", "COMPLAINTS_STAGING_DIR", "COMPLAINTS_MAIL_DIR")


def scratch_settings(folder: Path | None, prefix: str) -> Settings:
    """Settings whose every file lives under ``folder`` (a new temporary folder if None); var/ stays untouched."""
    home = folder or Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["COMPLAINTS_HOME"] = str(home)
    for name in _PLACES:
        os.environ.pop(name, None)
    return load_settings()
