"""The report's pure parts: display names for codes, and the charts' specifications from rows (what a browser
draws of them is checked end to end, in tests/e2e)."""

from __future__ import annotations

import csv

from helpers import REPO_ROOT

from complaints_pipeline.report import charts
from complaints_pipeline.report.data import Labels

SEED = REPO_ROOT / "dbt_project" / "seeds" / "code_display_names.csv"


def seed_labels(language: str) -> Labels:
    with SEED.open(encoding="utf-8") as handle:
        return Labels({(r["kind"], r["code"]): r[f"label_{language}"] for r in csv.DictReader(handle)})


def test_codes_are_shown_in_words_in_either_language() -> None:
    english, chinese = seed_labels("en"), seed_labels("zh")
    assert english.series("category", "billing_dispute") == "Category: Billing dispute"
    assert chinese.series("category", "billing_dispute") == "类别: 账单争议"
    assert english.series("total", "all") == "All complaints" and chinese("surge_level", "critical") == "严重"
    # A code the seed does not know is still shown readable: a US state from a CFPB export, a new product.
    assert english("region", "tx") == "TX" and english("product", "smart_watch") == "Smart watch"
    assert english("category", None) == "Unknown"


def test_the_seed_names_every_code_the_generator_and_the_cfpb_mapping_write() -> None:
    from complaints_pipeline.reference import CATEGORIES, CHANNELS, PRODUCTS, REGIONS
    from complaints_pipeline.sources.cfpb import CFPB_PRODUCTS

    names = seed_labels("en").names
    expected = {("channel", c) for c in CHANNELS} | {("category", c) for c in CATEGORIES}
    expected |= {("product", p) for p in (*PRODUCTS, *CFPB_PRODUCTS.values())} | {("region", r) for r in REGIONS}
    assert expected - set(names) == set()


def test_a_kpi_chart_rings_the_points_below_target_and_shades_the_overall_days_below_it() -> None:
    rows = [
        {"date": "2026-09-07", "series": "All complaints", "rate": 0.97, "below": False, "is_overall": True},
        {"date": "2026-09-08", "series": "All complaints", "rate": 0.91, "below": True, "is_overall": True},
        {"date": "2026-09-08", "series": "Phone", "rate": 0.90, "below": True, "is_overall": False},
    ]
    spec = charts.kpi_daily("Timely handling", rows, 0.95, ["All complaints", "Phone"])
    layers = {layer.get("name"): layer for layer in spec["layer"]}
    assert layers["below_days"]["transform"] == [{"filter": "datum.is_overall && datum.below"}]
    assert layers["kpi_points"]["encoding"]["stroke"]["condition"] == {"test": "datum.below", "value": "#d62728"}
    rules = [layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "rule"]
    assert rules[0]["encoding"]["y"] == {"datum": 0.95}
    # One colour per series in every chart: the domain is the series list, not the rows' order.
    assert layers["kpi_points"]["encoding"]["color"]["scale"]["domain"] == ["All complaints", "Phone"]


def test_a_chart_with_a_choice_shows_only_the_chosen_rows() -> None:
    rows = [{"series": "total:all", "date": "2026-09-08", "actual": 10, "expected": 8.0, "level": None}]
    levels = {"watch": "Watch", "warning": "Warning", "critical": "Critical"}
    spec = charts.volume("Complaints", rows, levels, [("total:all", "All complaints"), ("region:wuhan", "Wuhan")])
    (choice,) = spec["params"]
    assert choice["value"] == "total:all" and choice["bind"]["labels"] == ["All complaints", "Wuhan"]
    assert spec["transform"] == [{"filter": "datum.series === series_choice"}]
