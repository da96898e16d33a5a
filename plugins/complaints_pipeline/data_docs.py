"""Validation results kept per channel and date, and the Great Expectations Data Docs built from them.

Each extract task stores its days' results (one JSON file per suite, channel, date and run) in a Great
Expectations file context under ``COMPLAINTS_HOME/quality/gx``; parallel tasks never write the same
file. One task then renders the HTML pages of the results that have none yet, the suites' pages and
the index into ``COMPLAINTS_HOME/quality/docs`` (``index.html``).

Data Docs load jQuery, Bootstrap and Font Awesome from CDNs. ``make setup`` installs pinned copies
from the npm registry (package.json); the pages are rewritten to use those, so they open offline. The
Great Expectations logo (fetched from a public bucket, with the data context's id in its URL) becomes the
site's name in text, and the newsletter footer goes: a page loads nothing from outside.

A failing value of the data shows on the pages as text, masked as the marts mask free text: every string
of a result is masked (pii.mask_text) and HTML-escaped before it is stored, since the renderer writes
values into the pages as they are.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import html
import logging
import os
import re
import shutil
from collections.abc import Generator
from contextlib import contextmanager
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from complaints_pipeline import pii
from complaints_pipeline.config import Settings, load_settings

log = logging.getLogger(__name__)

SITE = "complaints_docs"
# The index lists the newest results only (it reads each one): some five months of daily runs.
# Older pages stay in the folder, and their results in the store.
INDEX_LIMIT = 2000
# Every asset a Data Docs page asks a CDN for, and the npm package file that replaces it.
CDN_ASSETS = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/dist/umd/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table/dist/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table/dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "@fortawesome/fontawesome-free/css/all.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
}
# Files an asset reads by a relative path (Font Awesome's fonts).
ASSET_FOLDERS = ("@fortawesome/fontawesome-free/webfonts",)
_EXTERNAL = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)=["'](https?://[^"']+)["']""")


def gx_root(settings: Settings) -> Path:
    return settings.home / "quality"


def docs_dir(settings: Settings) -> Path:
    return gx_root(settings) / "docs"


def index_page(settings: Settings) -> Path:
    return docs_dir(settings) / "index.html"


@contextmanager
def _locked(path: Path) -> Generator[None]:
    """One process at a time (the parallel extract tasks) creates or changes the context's config."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _context(settings: Settings):
    """The file context under COMPLAINTS_HOME/quality, created on first use, with one Data Docs site;
    opened once per process (its stores read the folder on each call, so other tasks' results show)."""
    return _open_context(str(gx_root(settings)), str(docs_dir(settings)))


@lru_cache(maxsize=4)
def _open_context(root_dir: str, docs: str):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = Path(root_dir)
    with _locked(root / ".gx.lock"):
        context = gx.get_context(mode="file", project_root_dir=str(root))
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        sites = context.get_site_names()
        if SITE not in sites:
            for name in sites:  # GX's default site would render every page a second time
                context.delete_data_docs_site(name)
            context.add_data_docs_site(
                SITE,
                {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": docs,
                    },
                    "site_index_builder": {
                        "class_name": "DefaultSiteIndexBuilder",
                        "validation_results_limit": INDEX_LIMIT,
                    },
                },
            )
    return context


def _for_suite_page(expectation: dict) -> dict:
    """An expectation as its suite's page shows it: its reason (meta) as the notes under it, and a
    learned category distribution named, not drawn (it is learned per channel and day)."""
    meta = expectation.get("meta") or {}
    notes = [text for text in (meta.get("reason"), meta.get("parameters")) if text]
    kwargs = dict(expectation["kwargs"])
    partition = kwargs.get("partition_object")
    if isinstance(partition, dict) and "$PARAMETER" in partition:
        kwargs["partition_object"] = {"values": [f"${partition['$PARAMETER']}"], "weights": [1.0]}
    return {**expectation, "kwargs": kwargs, "notes": expectation.get("notes") or notes or None}


def run_name(channel: str, day: dt.date) -> str:
    return f"{channel}-{day.isoformat()}"


def store_results(settings: Settings, channel: str, day: dt.date, run_time: dt.datetime, results: list[dict]) -> None:
    """Keep a day's results (GX result JSON, one per suite) keyed by suite, channel-date and run time."""
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    store = _context(settings).validation_results_store
    name = run_name(channel, day)
    for result in results:
        key = ValidationResultIdentifier(
            ExpectationSuiteIdentifier(name=result["suite_name"]),
            RunIdentifier(run_name=name, run_time=run_time),
            batch_identifier=name,
        )
        stored = {k: v for k, v in result.items() if k != "id"}
        stored["results"] = [{**r, "result": _shown_safely(r.get("result") or {})} for r in stored.get("results", [])]
        stored["meta"] = {**stored.get("meta", {}), "run_id": {"run_name": name, "run_time": run_time.isoformat()}}
        store.set(key, ExpectationSuiteValidationResult(**stored))


def _shown_safely(value, mask: bool = True):
    """A result's values as a page may show them: HTML-escaped, and the data's values masked like the marts'
    texts (not `record`, the file and position a failing record came from, which quality.py writes)."""
    if isinstance(value, str):
        return html.escape((pii.mask_text(value) or "") if mask else value, quote=True)
    if isinstance(value, dict):
        return {key: _shown_safely(item, mask and key != "record") for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_shown_safely(item, mask) for item in value]
    return value


def _page(key) -> Path:
    """Where the site puts a validation result's page."""
    suite, run, run_time, batch = key.to_tuple()
    return Path("validations", *suite.split("."), run, run_time, f"{batch}.html")


def build(settings: Settings, suite_files: list[Path]) -> Path:
    """Render the pages of stored results that have none yet, the suites' pages and the index; point
    them at local copies of their assets. Returns the index page."""
    import great_expectations as gx
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    from complaints_pipeline.quality import load_suite_document

    context = _context(settings)
    site = docs_dir(settings)
    suites = []
    for path in suite_files:  # the suites' pages show the files as they are now
        document = load_suite_document(path)
        document["expectations"] = [_for_suite_page(e) for e in document["expectations"]]
        suite = context.suites.add_or_update(gx.ExpectationSuite(**document))
        suites.append(ExpectationSuiteIdentifier(name=suite.name))
    new = [key for key in context.validation_results_store.list_keys() if not (site / _page(key)).exists()]
    context.build_data_docs(site_names=[SITE], resource_identifiers=[*suites, *new])
    written = [site / "index.html", *(site / _page(key) for key in new)]
    written += [site / "expectations" / f"{suite.name}.html" for suite in suites]
    localise(site, [page for page in written if page.exists()])
    log.info("Data Docs: %d new result pages, %d suites; open %s", len(new), len(suites), site / "index.html")
    return site / "index.html"


def asset_source() -> Path | None:
    """Where `make setup` installed the pages' assets (node_modules), or None."""
    folder = load_settings().data_docs_assets
    return folder if (folder / "jquery").is_dir() else None


def localise(site: Path, pages: list[Path]) -> None:
    """Point the pages' CDN links at copies under the site's static/vendor folder."""
    source = asset_source()
    if source is None:
        log.warning("no local copies of the Data Docs assets (run `make setup`): the pages load them from CDNs")
        for page in pages:
            page.write_text(_offline(page.read_text(encoding="utf-8")), encoding="utf-8")
        return
    vendor = site / "static" / "vendor"
    for relative in [*CDN_ASSETS.values(), *ASSET_FOLDERS]:
        target = vendor / relative
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if (source / relative).is_dir():
            shutil.copytree(source / relative, target)
        else:
            shutil.copyfile(source / relative, target)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for url in set(_EXTERNAL.findall(text)) & CDN_ASSETS.keys():
            text = text.replace(f'"{url}"', f'"{os.path.relpath(vendor, page.parent)}/{CDN_ASSETS[url]}"')
        page.write_text(_offline(text), encoding="utf-8")


# What else a page fetches or advertises: the logo image and its CSS background (a public bucket, the URL
# carrying the data context's id), and the newsletter footer.
_REMOTE_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc=["']https?://[^"']*["'][^>]*?>""", re.DOTALL)
_REMOTE_CSS_URL = re.compile(r"""url\(\s*["']?https?://[^)"']*["']?\s*\)""")
_NEWSLETTER = re.compile(r"<p>[^<]*newsletter.*?</p>", re.DOTALL | re.IGNORECASE)
_ALT = re.compile(r"""\balt=["']([^"']*)["']""")


def _offline(text: str) -> str:
    def as_text(image: re.Match) -> str:
        alt = _ALT.search(image.group(0))
        return f"<span>{alt.group(1) if alt else ''}</span>"

    text = _REMOTE_IMAGE.sub(as_text, text)
    text = _REMOTE_CSS_URL.sub("none", text)
    return _NEWSLETTER.sub("", text)


def external_links(page: Path) -> list[str]:
    """Everything outside the site a page would load in a browser (none, once localised): every tag's src,
    srcset, poster and data, every href but a link's (<a>), and every CSS url() and @import, in style
    blocks and style attributes."""
    finder = _RemoteLoads()
    finder.feed(page.read_text(encoding="utf-8"))
    return finder.found


_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_CSS_REMOTE = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*((?:https?:)?//[^)"'\s]+)""", re.IGNORECASE)


class _RemoteLoads(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if not value:
                continue
            if name in ("src", "poster", "data", "background") or (name == "href" and tag != "a"):
                if _REMOTE.match(value):
                    self.found.append(value)
            elif name == "srcset":
                self.found += [part.split()[0] for part in value.split(",") if _REMOTE.match(part)]
            elif name == "style":
                self.found += _CSS_REMOTE.findall(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += _CSS_REMOTE.findall(data)
