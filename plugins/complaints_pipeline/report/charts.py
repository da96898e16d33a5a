"""The report's and the alert email's charts as Vega-Lite specifications: rows in, a chart out.

Each chart names the mark that draws one data point per row (`kpi_points`, `pareto_bars`, ...), so a test
can count what a browser drew against the mart. Rows are plain dicts of JSON values (dates as ISO text).
"""

from __future__ import annotations

from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
BELOW_TARGET = "#d62728"
LEVEL_COLOURS = {"watch": "#e6ab02", "warning": "#f28e2b", "critical": "#d62728"}
VITAL_FEW, USEFUL_MANY = "#1f5f99", "#a9c4dd"
# Series colours: the overall series dark, the channels in hues far from the below-target red.
SERIES_COLOURS = ["#1b2a49", "#4c9be8", "#f2a541", "#59a14f", "#b07aa1", "#9c755f"]
Spec = dict[str, Any]


def _chart(title: str, rows: list[dict], width: int | str, height: int) -> Spec:
    return {
        "$schema": SCHEMA,
        "title": {"text": title, "anchor": "start", "fontSize": 14},
        "width": width,
        "height": height,
        "data": {"values": rows},
        "config": {"legend": {"orient": "bottom", "title": None}, "axis": {"labelFontSize": 11}},
    }


def _choice(name: str, label: str, options: list[tuple[str, str]], rows_field: str) -> tuple[list, list]:
    """A drop-down of options (value, label) above the chart, and the filter that keeps the chosen one's rows."""
    values, labels = [value for value, _ in options], [text for _, text in options]
    bind = {"input": "select", "options": values, "labels": labels, "name": label}
    return [{"name": name, "value": values[0], "bind": bind}], [{"filter": f"datum.{rows_field} === {name}"}]


def _series_colour(series: list[str]) -> dict:
    """The same colour for a series in every chart: series lists every series' name, the overall first."""
    return {"field": "series", "type": "nominal", "scale": {"domain": series, "range": SERIES_COLOURS}}


def kpi_daily(title: str, rows: list[dict], target: float, series: list[str], width: int | str = "container") -> Spec:
    """A KPI's daily rate per series (overall and each channel) against its target; the days the overall
    rate fell below the target shaded, each point below it ringed. Rows: date, series, rate, below,
    is_overall; series: every series' name, in legend order."""
    x = {"field": "date", "type": "temporal", "title": None, "axis": {"format": "%d %b"}}
    y = {"field": "rate", "type": "quantitative", "title": None, "axis": {"format": ".0%"}, "scale": {"zero": False}}
    colour = _series_colour(series)
    tooltip = [
        {"field": "series", "title": "Series"},
        {"field": "date", "type": "temporal", "title": "Day"},
        {"field": "rate", "format": ".1%", "title": "Rate"},
    ]
    spec = _chart(title, rows, width, 200)
    spec["layer"] = [
        {
            "name": "below_days",
            "transform": [{"filter": "datum.is_overall && datum.below"}],
            "mark": {"type": "bar", "color": BELOW_TARGET, "opacity": 0.12},
            "encoding": {"x": {**x, "timeUnit": "yearmonthdate", "bandPosition": 0}, "y": {"datum": 1}},
        },
        {"mark": {"type": "line", "strokeWidth": 1.5}, "encoding": {"x": x, "y": y, "color": colour}},
        {
            "name": "kpi_points",
            "mark": {"type": "point", "filled": True, "strokeWidth": 2},
            "encoding": {
                "x": x,
                "y": y,
                "color": colour,
                "size": {"condition": {"test": "datum.below", "value": 45}, "value": 16},
                "stroke": {"condition": {"test": "datum.below", "value": BELOW_TARGET}, "value": None},
                "tooltip": tooltip,
            },
        },
        {"mark": {"type": "rule", "strokeDash": [5, 4], "color": "#444"}, "encoding": {"y": {"datum": target}}},
        _target_label(target),
    ]
    return spec


def kpi_monthly(title: str, rows: list[dict], target: float, series: list[str], width: int | str = "container") -> Spec:
    """A KPI's monthly rate per series against its target; a bar below it outlined. Rows: month (its name),
    month_start, series, rate, below."""
    spec = _chart(title, rows, width, 180)
    colour = _series_colour(series)
    spec["layer"] = [
        {
            "name": "monthly_bars",
            "mark": {"type": "bar", "strokeWidth": 2},
            "encoding": {
                "x": {
                    "field": "month",
                    "type": "ordinal",
                    "title": None,
                    "sort": {"field": "month_start", "op": "min"},
                    "axis": {"labelAngle": 0},
                },
                "xOffset": {"field": "series", "sort": series},
                "y": {"field": "rate", "type": "quantitative", "title": None, "axis": {"format": ".0%"}},
                "color": colour,
                "stroke": {"condition": {"test": "datum.below", "value": BELOW_TARGET}, "value": None},
                "tooltip": [
                    {"field": "series", "title": "Series"},
                    {"field": "month", "title": "Month"},
                    {"field": "rate", "format": ".1%", "title": "Rate"},
                ],
            },
        },
        {"mark": {"type": "rule", "strokeDash": [5, 4], "color": "#444"}, "encoding": {"y": {"datum": target}}},
        _target_label(target),
    ]
    return spec


def _target_label(target: float) -> Spec:
    """'target 95%' once, at the target line's left end (its own one-row data, not once per point)."""
    return {
        "data": {"values": [{}]},
        "mark": {"type": "text", "align": "left", "dy": -7, "color": "#444", "x": 4, "fontSize": 11},
        "encoding": {"y": {"datum": target}, "text": {"value": f"target {target:.0%}"}},
    }


def pareto(
    title: str, rows: list[dict], scopes: list[tuple[str, str]] | None = None, width: int | str = "container"
) -> Spec:
    """A Pareto chart: counts in rank order, the vital few (up to 80 % of complaints) dark, the cumulative
    share on the right. Rows: label, count, cumulative, vital, rank (and scope, with scopes: a drop-down of
    (scope, label) choosing the rows shown)."""
    spec = _chart(title, rows, width, 220)
    if scopes:
        spec["params"], spec["transform"] = _choice("scope_choice", "Within: ", scopes, "scope")
    x = {"field": "label", "type": "nominal", "title": None, "sort": {"field": "rank"}, "axis": {"labelAngle": -30}}
    cumulative = {
        "field": "cumulative",
        "type": "quantitative",
        "title": "cumulative share",
        "scale": {"domain": [0, 1]},
        "axis": {"format": ".0%", "orient": "right"},
    }
    spec["layer"] = [
        {
            "name": "pareto_bars",
            "mark": {"type": "bar"},
            "encoding": {
                "x": x,
                "y": {"field": "count", "type": "quantitative", "title": "complaints"},
                "color": {"condition": {"test": "datum.vital", "value": VITAL_FEW}, "value": USEFUL_MANY},
                "tooltip": [
                    {"field": "label", "title": "Cause"},
                    {"field": "count", "title": "Complaints"},
                    {"field": "cumulative", "format": ".0%", "title": "Cumulative share"},
                ],
            },
        },
        {
            "layer": [
                {"mark": {"type": "line", "point": True, "color": "#333"}, "encoding": {"x": x, "y": cumulative}},
                {
                    "mark": {"type": "rule", "strokeDash": [2, 3], "color": "#333"},
                    "encoding": {"y": {"datum": 0.8, "scale": {"domain": [0, 1]}, "axis": None}},
                },
            ]
        },
    ]
    spec["resolve"] = {"scale": {"y": "independent"}}
    return spec


def volume(
    title: str,
    rows: list[dict],
    levels: dict[str, str],
    series: list[tuple[str, str]] | None = None,
    width: int | str = "container",
    unit: str = "complaints",
    expected_format: str = ".0f",
    level_title: str = "Surge",
) -> Spec:
    """Complaints per day against the surge model's expectation (dashed), surges marked by level (levels: code
    to label). Rows: series, date, actual, expected, level and level_label (null: no surge); with series, a
    drop-down of (series, label). Any other daily measure with an expectation and levels draws the same way
    (the negative-sentiment share: unit '% negative')."""
    spec = _chart(title, rows, width, 200)
    if series:
        spec["params"], spec["transform"] = _choice("series_choice", "Series: ", series, "series")
    x = {"field": "date", "type": "temporal", "title": None, "axis": {"format": "%d %b"}}
    actual = {"field": "actual", "type": "quantitative", "title": unit}
    tooltip = [
        {"field": "date", "type": "temporal", "title": "Day"},
        {"field": "actual", "title": unit.capitalize()},
        {"field": "expected", "format": expected_format, "title": "Expected"},
        {"field": "level_label", "title": level_title},
    ]
    spec["layer"] = [
        {
            "mark": {"type": "line", "strokeDash": [5, 4], "color": "#777"},
            "encoding": {"x": x, "y": {"field": "expected", "type": "quantitative"}},
        },
        {"mark": {"type": "line", "color": "#1f77b4"}, "encoding": {"x": x, "y": actual}},
        {
            "name": "volume_points",
            "mark": {"type": "point", "filled": True, "size": 16, "color": "#1f77b4"},
            "encoding": {"x": x, "y": actual, "tooltip": tooltip},
        },
        {
            "name": "surge_points",
            "transform": [{"filter": "datum.level != null"}],
            "mark": {"type": "point", "filled": True, "size": 110, "opacity": 1},
            "encoding": {
                "x": x,
                "y": actual,
                "color": {
                    "field": "level_label",
                    "type": "nominal",
                    "title": level_title,
                    "scale": {"domain": [levels[c] for c in LEVEL_COLOURS], "range": list(LEVEL_COLOURS.values())},
                },
                "tooltip": tooltip,
            },
        },
    ]
    return spec


def backlog(title: str, rows: list[dict], width: int | str = "container") -> Spec:
    """The open book at each day's end, stacked by age. Rows: date, age, order, count."""
    palette = ["#c6dbef", "#6baed6", "#2171b5", "#08306b"]
    return _stacked(title, rows, width, "backlog_bars", ("age", "Open for", palette), ("count", "open complaints"))


def cost_stages(title: str, rows: list[dict], width: int | str = "container") -> Spec:
    """What each week's complaints cost, stacked by stage in a complaint's life. Rows: date (the week's Monday),
    stage, order, cost."""
    palette = ["#fdd0a2", "#fdae6b", "#f16913", "#a63603", "#7f2704"]
    spec = _stacked(title, rows, width, "cost_bars", ("stage", "Stage", palette), ("cost", "cost"), "Week of")
    spec["encoding"]["x"]["type"] = "ordinal"  # a band per week, not a sliver per day
    spec["encoding"]["y"]["axis"] = {"format": ",.0f"}
    spec["encoding"]["tooltip"][-1]["format"] = ",.0f"
    return spec


def _stacked(
    title: str,
    rows: list[dict],
    width: int | str,
    name: str,
    colour: tuple[str, str, list[str]],
    value: tuple[str, str],
    day_title: str = "Day",
) -> Spec:
    """Bars per day stacked by a series in its own order. colour: (field, title, palette); value: (field, axis
    title). Rows: date, the colour field, order, the value field."""
    (series, series_title, palette), (amount, amount_title) = colour, value
    spec = _chart(title, rows, width, 200)
    spec["mark"] = {"type": "bar"}
    spec["name"] = name
    spec["encoding"] = {
        "x": {
            "field": "date",
            "type": "temporal",
            "timeUnit": "yearmonthdate",
            "title": None,
            "axis": {"format": "%d %b"},
        },
        "y": {"field": amount, "type": "quantitative", "title": amount_title, "stack": "zero"},
        "color": {
            "field": series,
            "type": "nominal",
            "title": series_title,
            "sort": {"field": "order"},
            "scale": {"range": palette},
        },
        "order": {"field": "order"},
        "tooltip": [
            {"field": "date", "type": "temporal", "title": day_title},
            {"field": series, "title": series_title},
            {"field": amount, "title": amount_title.capitalize()},
        ],
    }
    return spec


def loads(title: str, rows: list[dict], width: int | str = "container") -> Spec:
    """Records loaded per channel and landing day; a blocked or undelivered day a cross. Rows: date, channel,
    loaded, quarantined, problem (null, or what kept the day out)."""
    spec = _chart(title, rows, width, 180)
    x = {"field": "date", "type": "temporal", "timeUnit": "yearmonthdate", "title": None, "axis": {"format": "%d %b"}}
    spec["layer"] = [
        {
            "name": "load_bars",
            "mark": {"type": "bar"},
            "encoding": {
                "x": x,
                "y": {"field": "loaded", "type": "quantitative", "title": "records loaded", "stack": "zero"},
                "color": {"field": "channel", "type": "nominal"},
                "tooltip": [
                    {"field": "channel", "title": "Channel"},
                    {"field": "date", "type": "temporal", "title": "Landing day"},
                    {"field": "loaded", "title": "Loaded"},
                    {"field": "quarantined", "title": "Quarantined"},
                ],
            },
        },
        {
            "name": "problem_days",
            "transform": [{"filter": "datum.problem != null"}],
            "mark": {"type": "point", "shape": "cross", "filled": True, "size": 90, "color": BELOW_TARGET},
            "encoding": {
                "x": x,
                "y": {"datum": 0},
                "tooltip": [{"field": "channel", "title": "Channel"}, {"field": "problem", "title": "Day"}],
            },
        },
    ]
    return spec
