"""What many tests share that is neither a fixture nor a record builder: the repository's root, a read-only
query on a warehouse, and the text a browser shows of a page. (Fixtures are in conftest.py, record builders
in records.py, running installations and services in services.py; never imported from conftest.)"""

from __future__ import annotations

import html
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shown_text(page: str) -> str:
    """What a browser shows of an HTML page: no scripts or styles, no tags, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def query(settings, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of one query on the settings' warehouse, read-only (DuckDB's `?` parameters on both kinds)."""
    from complaints_pipeline.warehouse import Connection

    with Connection(settings, read_only=True) as con:
        return con.execute(sql, params).fetchall()
