"""The report as one self-contained HTML page: the charts' specifications and data inline, and Vega, Vega-Lite
and vega-embed inline from the npm packages `make setup` installs, so it opens offline from disk."""

from __future__ import annotations

import html
import json
from pathlib import Path

from complaints_pipeline.report import charts
from complaints_pipeline.report.data import TARGETED_KPIS, ReportData

SCRIPTS = ("vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js", "vega-embed/build/vega-embed.min.js")

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 16px; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.meta, .note { color: #666; font-size: 0.9em; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 190px; }
.card .value { font-size: 1.6em; font-weight: 600; } .card.below .value { color: #d62728; }
.chart { width: 100%; margin: 10px 0 18px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 8px 24px; }
table { border-collapse: collapse; font-size: 0.9em; } th, td { padding: 4px 10px; border-bottom: 1px solid #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
"""

RUN = """
const specs = JSON.parse(document.getElementById("chart-specs").textContent);
Promise.all(Object.entries(specs).map(([id, spec]) =>
  vegaEmbed("#" + id, spec, {renderer: "svg", actions: false})))
  .then(() => { document.body.dataset.charts = "drawn"; })
  .catch((error) => { document.body.dataset.charts = "failed"; document.body.dataset.error = String(error); });
"""


def _inline_script(source: str) -> str:
    return "<script>" + source.replace("</script", "<\\/script") + "</script>"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _cards(data: ReportData) -> str:
    head = data.headline
    complaints = "–" if head["complaints"] is None else f"{head['complaints']:,}"
    cards = [
        f"<div class='card'><div>Complaints on {data.last:%d %b %Y}</div>"
        f"<div class='value'>{complaints}</div>"
        f"<div class='note'>{head['surges']} surge flags (warning or critical) in the period</div></div>"
    ]
    # The period's mean leads: the last days' rates count only the complaints already due, and read high.
    for figure in head["kpis"].values():
        target = figure["target"]
        below = target is not None and figure["period"] is not None and figure["period"] < target
        cards.append(
            f"<div class='card{' below' if below else ''}'><div>{html.escape(figure['label'])}, period mean</div>"
            f"<div class='value'>{_percent(figure['period'])}</div>"
            f"<div class='note'>target {_percent(target)}; below it on {figure['below_days']} of {figure['days']}"
            f" days; last day {_percent(figure['last'])}</div></div>"
        )
    return "<div class='cards'>" + "".join(cards) + "</div>"


def _table(rows: list[dict], columns: dict[str, str]) -> str:
    head = "".join(f"<th>{html.escape(title)}</th>" for title in columns.values())
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='n'>{row[key]:,}</td>"
            if isinstance(row[key], int)
            else f"<td>{html.escape(str(row[key]))}</td>"
            for key in columns
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def specs(data: ReportData) -> dict[str, charts.Spec]:
    """Every chart of the report, by the id of the element it draws in, in page order."""
    label = data.labels
    found: dict[str, charts.Spec] = {}
    for kpi in TARGETED_KPIS:
        if kpi in data.targets and data.kpi_daily[kpi]:
            found[f"kpi-daily-{kpi}"] = charts.kpi_daily(
                label("kpi", kpi), data.kpi_daily[kpi], data.targets[kpi], data.series_names
            )
    for kpi, points in data.kpi_monthly.items():
        if kpi in data.targets and points:
            found[f"kpi-monthly-{kpi}"] = charts.kpi_monthly(
                label("kpi", kpi), points, data.targets[kpi], data.series_names
            )
    if data.causes:
        found["pareto-causes"] = charts.pareto(f"Causes, week of {data.causes_week}", data.causes)
    if data.categories:
        title = f"Categories within each product and region, week of {data.causes_week}"
        found["pareto-categories"] = charts.pareto(title, data.categories, data.category_scopes)
    if data.volume:
        levels = {code: label("surge_level", code) for code in charts.LEVEL_COLOURS}
        found["volume"] = charts.volume("Complaints against expected", data.volume, levels, data.volume_series)
    if data.sentiment:
        levels = {code: label("surge_level", code) for code in charts.LEVEL_COLOURS}
        found["sentiment"] = charts.volume(
            "Negative sentiment: share of scored complaints", data.sentiment, levels, data.sentiment_series,
            unit="% negative", expected_format=".1f", level_title="Rise",
        )  # fmt: skip
    if data.backlog:
        found["backlog"] = charts.backlog("Open complaints at each day's end, by age", data.backlog)
    if data.costs:
        found["costs"] = charts.cost_stages("What complaints cost each week, by stage", data.costs)
    if data.loads:
        found["loads"] = charts.loads("Records loaded per channel and landing day", data.loads)
    return found


SECTIONS = (
    ("KPIs against their targets, by day", "kpi-daily-", "Shaded: days the overall rate fell below target; ringed: "
     "each series' days below it."),
    ("KPIs against their targets, by month", "kpi-monthly-", "Outlined in red: months below target."),
    ("Root causes", "pareto-", "Dark bars: the vital few, the causes that make up 80 % of complaints (the line)."),
    ("Volume against expected", "volume", "Dashed: what the surge model expected; dots: surges by level."),
    ("Sentiment", "sentiment", "The share of complaints whose text reads negative; dashed: its share over the "
     "weeks before; dots: significant rises by level."),
    ("The open book", "backlog", "Complaints not yet resolved at each day's end, by how long they have been open."),
    ("Cost by stage", "costs", "Each week's complaints by the stage their cost arose in, at the rates of seed "
     "cost_rates: the expensive stages show."),
)  # fmt: skip


def render(data: ReportData, asset_root: Path, data_docs_href: str | None) -> str:
    """The page's HTML."""
    chart_specs = specs(data)
    parts = [
        f"<h1>Complaints report, {data.first:%d %b} to {data.last:%d %b %Y}</h1>",
        f"<p class='meta'>Published {html.escape(data.published['published_at'])}"
        + (f" by run {html.escape(data.published['run_id'])}" if data.published.get("run_id") else "")
        + ". All figures from the published marts; no complaint text or customer appears here.</p>",
        _cards(data),
    ]
    for title, prefix, note in SECTIONS:
        ids = [chart_id for chart_id in chart_specs if chart_id.startswith(prefix)]
        if ids:
            divs = "".join(f"<div class='chart' id='{chart_id}'></div>" for chart_id in ids)
            grid = " grid" if len(ids) > 1 else ""
            parts.append(
                f"<h2>{html.escape(title)}</h2><p class='note'>{html.escape(note)}</p><div class='{grid}'>{divs}</div>"
            )
    columns = {
        "channel": "Channel",
        "days": "Landing days",
        "records_in": "Records in",
        "loaded": "Loaded",
        "quarantined": "Quarantined",
        "withheld": "Withheld",
        "blocked_days": "Blocked days",
        "not_delivered_days": "Days not delivered",
    }
    docs = f" <a href='{html.escape(data_docs_href, quote=True)}'>Data Docs</a> say why." if data_docs_href else ""
    parts.append(
        "<h2>Data quality per channel</h2>"
        f"<p class='note'>Crosses: days blocked by the day gate or not delivered.{docs}</p>"
        + _table(data.load_totals, columns)
        + ("<div class='chart' id='loads'></div>" if "loads" in chart_specs else "")
    )
    scripts = "\n".join(_inline_script((asset_root / name).read_text(encoding="utf-8")) for name in SCRIPTS)
    payload = json.dumps(chart_specs, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Complaints report {data.last}</title><style>{STYLE}</style>\n{scripts}\n</head>\n<body>\n"
        + "\n".join(parts)
        + f"\n<script type='application/json' id='chart-specs'>{payload}</script>\n"
        + _inline_script(RUN)
        + "\n</body></html>\n"
    )
