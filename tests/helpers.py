"""What many tests share that is neither a fixture nor a record builder: the repository's root, a read-only
query on a warehouse, the text a browser shows of a page, and a page opened in headless Chromium. (Fixtures are
in conftest.py, record builders in records.py, running installations and services in services.py; never
imported from conftest.)"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
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


# Screenshots of what people look at (the report, an alert email), kept for a person to look at after the run.
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"


def chromium(page: Path, width: int = 1200, height: int = 900, screenshot: str | None = None) -> str:
    """The page opened in headless Chromium (Debian's package) with networking off (every host name fails to
    resolve), after its scripts ran: the DOM as the browser holds it. screenshot: also save a PNG of the page
    (width x height) as SCREENSHOTS/<name>. Skips the test where Chromium is not installed."""
    import pytest

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (make setup installs Debian's package): the page was not opened")
    options = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", f"--window-size={width},{height}",
        "--virtual-time-budget=10000",
    ]  # fmt: skip
    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        run = [*options, f"--screenshot={SCREENSHOTS / screenshot}", page.as_uri()]
        subprocess.run(run, capture_output=True, timeout=180, check=True)
    return subprocess.run(
        [*options, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180, check=True
    ).stdout


def drawn_marks(dom: str, chart_id: str, mark: str) -> int:
    """How many items (one SVG path each) the named Vega mark drew in the chart element chart_id."""
    chart = re.search(rf"<div class=\"chart[^\"]*\" id=\"{re.escape(chart_id)}\"(.*?)</svg>", dom, flags=re.S)
    assert chart, f"no chart {chart_id} was drawn"
    groups = re.findall(
        rf"<g class=\"mark-\w+ role-mark {re.escape(mark)}_marks\"[^>]*>(.*?)</g>", chart.group(1), re.S
    )
    assert groups, f"chart {chart_id} has no mark {mark}"
    return sum(group.count("<path") for group in groups)
