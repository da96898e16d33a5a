"""Validation results are stored per suite, channel and date; Data Docs show them in a browser without internet."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import REPO_ROOT, shown_text
from test_quality_and_load import SUITE, _row

from complaints_pipeline import data_docs, quality, staging
from complaints_pipeline.config import load_settings

DAY = dt.date(2026, 10, 12)


def _text(page: Path) -> str:
    return shown_text(page.read_text(encoding="utf-8"))


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    return load_settings()


def _chunk(*rows: dict):
    table = staging.rows_to_table(list(rows))
    return quality.validate(table.drop_columns(["_raw"]), SUITE, raw_records=table.column("_raw")).result


def test_chunk_results_merge_into_one_day_result() -> None:
    first = _chunk(_row("a1"), _row("a2", satisfaction_score=9), _row("a3", satisfaction_score=0))
    second = _chunk(_row("b1"), _row("b2", satisfaction_score=9), _row("b3", status="lost"))
    merged = quality.merge_results([first, second])

    by_name = {
        (r["expectation_config"]["type"], r["expectation_config"]["kwargs"]["column"]): r
        for r in merged["results"]
        if "column" in r["expectation_config"]["kwargs"]
    }
    score = by_name[("expect_column_values_to_be_between", "satisfaction_score")]
    assert score["success"] is False
    assert score["result"]["element_count"] == 6 and score["result"]["unexpected_count"] == 3
    assert score["result"]["unexpected_percent"] == pytest.approx(50.0)
    assert {(c["value"], c["count"]) for c in score["result"]["partial_unexpected_counts"]} == {(9, 2), (0, 1)}
    assert [e["record"] for e in score["result"]["unexpected_index_list"]] == [
        "web/x.jsonl at a2",
        "web/x.jsonl at a3",
        "web/x.jsonl at b2",
    ]
    status = by_name[("expect_column_values_to_be_in_set", "status")]
    assert status["success"] is False and status["result"]["unexpected_count"] == 1
    assert merged["success"] is False
    assert merged["statistics"]["unsuccessful_expectations"] == 2
    in_suite = len(json.loads(SUITE.read_text(encoding="utf-8"))["expectations"])  # 20: every one, evaluated
    assert merged["statistics"]["evaluated_expectations"] == len(merged["results"]) == in_suite == 20
    # A failing value kept for the report, never the full list: the quarantine holds every row.
    many = _chunk(*[_row(f"m{n}", satisfaction_score=9) for n in range(quality.PARTIAL + 5)])
    kept = next(r for r in many["results"] if r["expectation_config"]["kwargs"].get("column") == "satisfaction_score")
    assert kept["result"]["unexpected_count"] == quality.PARTIAL + 5
    assert len(kept["result"]["unexpected_index_list"]) == quality.PARTIAL
    assert "unexpected_list" not in kept["result"]


def test_results_are_stored_per_channel_and_date_and_rendered_offline(settings) -> None:
    run_time = dt.datetime(2026, 10, 13, 1, 0, tzinfo=dt.UTC)
    result = _chunk(_row("ok"), _row("bad", satisfaction_score=9))
    data_docs.store_results(settings, "web", DAY, run_time, [result])

    stored = list((settings.home / "quality" / "gx").rglob(f"web-{DAY}.json"))
    assert len(stored) == 1 and stored[0].parent.parent.parent.name == "complaints"
    assert json.loads(stored[0].read_text())["success"] is False

    index = data_docs.build(settings, [SUITE, REPO_ROOT / "expectations" / quality.DAY_SUITE_FILE])
    assert index == data_docs.index_page(settings) and index.is_file()
    (page,) = (index.parent / "validations" / "complaints" / f"web-{DAY}").rglob("*.html")
    shown = _text(page)
    assert "Status: Failed" in shown and f"Run Name web-{DAY}" in shown
    assert "values must be greater than or equal to 1.0 and less than or equal to 5.0" in shown
    assert "web/x.jsonl at bad" in shown  # the failing record, by file and position
    assert f"validations/complaints/web-{DAY}/" in index.read_text(encoding="utf-8")
    # The suites' pages show each expectation's reason, as a note.
    suite_page = index.parent / "expectations" / "complaints_day.html"
    assert "too large a share of the day's records was quarantined" in _text(suite_page)
    assert "the satisfaction score must be 1 to 5" in _text(index.parent / "expectations" / "complaints.html")

    # Every script and style is a local copy: the pages open in a browser without internet.
    for html_page in (index, page, suite_page):
        assert data_docs.external_links(html_page) == []
        for asset in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html_page.read_text(encoding="utf-8")):
            assert (html_page.parent / asset).resolve().is_file(), (html_page, asset)


def test_a_second_run_adds_its_pages_and_keeps_the_first(settings) -> None:
    first_run = dt.datetime(2026, 10, 13, 1, 0, tzinfo=dt.UTC)
    data_docs.store_results(settings, "web", DAY, first_run, [_chunk(_row("bad", satisfaction_score=9))])
    data_docs.build(settings, [SUITE])
    folder = data_docs.docs_dir(settings) / "validations" / "complaints" / f"web-{DAY}"
    (old_page,) = folder.rglob("*.html")
    built = old_page.stat().st_mtime_ns

    data_docs.store_results(settings, "web", DAY, first_run + dt.timedelta(days=1), [_chunk(_row("fixed"))])
    index = data_docs.build(settings, [SUITE])

    pages = sorted(folder.rglob("*.html"))
    assert len(pages) == 2 and pages[0] == old_page
    assert old_page.stat().st_mtime_ns == built  # not rendered again
    assert "Status: Succeeded" in _text(pages[1])
    assert index.read_text(encoding="utf-8").count(f"validations/complaints/web-{DAY}/") >= 2


def test_without_local_assets_the_pages_keep_their_cdn_links(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_DATA_DOCS_ASSETS", str(settings.home / "nowhere"))
    data_docs.store_results(settings, "web", DAY, dt.datetime(2026, 10, 13, tzinfo=dt.UTC), [_chunk(_row("ok"))])
    index = data_docs.build(settings, [SUITE])
    assert any("jquery" in link for link in data_docs.external_links(index))


HOSTILE = "<script>document.body.setAttribute('data-pwned', 'script')</script>"
HOSTILE_IMAGE = "<img src=x onerror=\"document.body.setAttribute('data-pwned', 'img')\">"


def test_markup_and_contacts_in_failing_values_show_as_masked_text_on_pages_that_load_nothing_outside(settings) -> None:
    """A landed field holding markup, or someone's contact, fails its check: the page shows it as text, masked
    like the marts' texts, and no script of the data runs. Every tag and CSS url() is checked for what loads."""
    rows = [
        _row("a", category=HOSTILE),
        _row("b", category=HOSTILE_IMAGE),
        _row("c", category="call jane.doe@example.com or 0171 234 5678"),
    ]
    data_docs.store_results(settings, "web", DAY, dt.datetime(2026, 10, 13, tzinfo=dt.UTC), [_chunk(*rows)])
    index = data_docs.build(settings, [SUITE])
    (page,) = (index.parent / "validations" / "complaints" / f"web-{DAY}").rglob("*.html")
    source = page.read_text(encoding="utf-8")
    shown = _text(page)
    assert "<script>document.body" not in source and "<img src=x" not in source
    assert "jane.doe@example.com" not in source and "0171 234 5678" not in source
    assert "document.body.setAttribute" in shown  # the value is there, as text
    # Nothing from outside: no logo from a public bucket, no CSS background, no newsletter.
    for html_page in (index, page):
        assert data_docs.external_links(html_page) == [], html_page
        assert "newsletter" not in html_page.read_text(encoding="utf-8").lower()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): the page was not opened in a browser")
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000", "--dump-dom",
         page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    body = re.search(r"<body[^>]*>", dom)
    assert body and "data-pwned" not in body.group(0), body  # neither the script nor the image's onerror ran
    assert "document.body.setAttribute" in shown_text(dom)


def test_the_offline_check_sees_every_kind_of_load(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        """<html><head><link rel="stylesheet" href="https://cdn.example/a.css">
        <style>.x { background: url('https://img.example/b.png') } @import "//cdn.example/c.css";</style></head>
        <body><a href="https://example.org">a link loads nothing</a><img srcset="https://img.example/d.png 2x">
        <div style="background-image: url(https://img.example/e.png)"></div><script src="static/local.js"></script>
        <video poster="https://img.example/f.png"></video></body></html>""",
        encoding="utf-8",
    )
    assert sorted(data_docs.external_links(page)) == [
        "//cdn.example/c.css",
        "https://cdn.example/a.css",
        "https://img.example/b.png",
        "https://img.example/d.png",
        "https://img.example/e.png",
        "https://img.example/f.png",
    ]
