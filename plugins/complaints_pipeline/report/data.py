"""What the report shows, read from the published marts: the snapshot file (embedded mode) or the PostgreSQL
marts (server mode), shaped into the rows the charts take, with display names in place of codes."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from complaints_pipeline.config import Settings
from complaints_pipeline.reference import CHANNELS
from complaints_pipeline.snapshot import snapshot_path
from complaints_pipeline.warehouse import Connection

PERIOD_DAYS = 90  # the days the daily charts cover, up to the latest loaded
# The KPIs with an appraisal target (seed kpi_targets), as the daily and monthly marts name them.
TARGETED_KPIS = ("timely_handling_rate", "satisfaction_rate", "effective_resolution_rate")
DIMENSIONS = ("total", "channel", "category", "product", "region")
AGES = ("open_under_1_day_count", "open_1_to_3_days_count", "open_3_to_7_days_count", "open_over_7_days_count")


@contextmanager
def marts(settings: Settings) -> Iterator:
    """A read-only connection to the published marts: a cursor-returning execute() on either warehouse."""
    if settings.warehouse_kind == "postgres":
        con = Connection(settings, read_only=True)
    else:
        con = duckdb.connect(str(snapshot_path(settings)), read_only=True)
    try:
        yield con
    finally:
        con.close()


def rows(con, sql: str, params: list | None = None) -> list[dict]:
    """A query's rows as dicts of JSON values: dates as ISO text, NaN as null."""
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, map(_json, row), strict=True)) for row in cursor.fetchall()]


def _json(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Decimal):  # a PostgreSQL numeric
        return float(value)
    return value


def has_mart(con, name: str) -> bool:
    """Whether the published marts hold this table (both warehouses keep information_schema)."""
    [(found,)] = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = ?", [name]
    ).fetchall()
    return found > 0


def _readable(code: str) -> str:
    """A code no display name covers, made readable: a US state's code in capitals, underscores as spaces."""
    return code.upper() if len(code) == 2 else code.replace("_", " ").capitalize()


@dataclass
class Labels:
    """Display names (seed code_display_names) in one language; a code without one is shown readable."""

    names: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def read(cls, con, language: str) -> Labels:
        """The marts' display names (none in marts published before they existed)."""
        if not has_mart(con, "display_names"):
            return cls()
        found = rows(con, f"select kind, code, label_{language} as label from marts.display_names")
        return cls({(r["kind"], r["code"]): r["label"] for r in found})

    def __call__(self, kind: str, code: str | None) -> str:
        code = code or "unknown"
        return self.names.get((kind, code)) or self.names.get(("value", code)) or _readable(code)

    def series(self, dimension: str, value: str) -> str:
        if dimension == "total":
            return self("dimension", "total")
        return f"{self('dimension', dimension)}: {self(dimension, value)}"


@dataclass
class ReportData:
    """Everything one report shows."""

    first: dt.date
    last: dt.date
    published: dict
    kpi_daily: dict[str, list[dict]]
    kpi_monthly: dict[str, list[dict]]
    targets: dict[str, float]
    causes: list[dict]
    causes_week: str | None
    categories: list[dict]
    category_scopes: list[tuple[str, str]]
    volume: list[dict]
    volume_series: list[tuple[str, str]]
    backlog: list[dict]
    loads: list[dict]
    load_totals: list[dict]
    sentiment: list[dict] = field(default_factory=list)
    costs: list[dict] = field(default_factory=list)
    sentiment_series: list[tuple[str, str]] = field(default_factory=list)
    headline: dict = field(default_factory=dict)
    labels: Labels = field(default_factory=Labels)

    @property
    def series_names(self) -> list[str]:
        """The KPI charts' series, overall first, then each channel: one colour each in every chart."""
        return [self.labels.series("total", "all"), *(self.labels("channel", c) for c in CHANNELS)]


def _dimension_order(dimension: str) -> int:
    """Total, channel, category, product, region; any other after them."""
    return DIMENSIONS.index(dimension) if dimension in DIMENSIONS else len(DIMENSIONS)


def _series_order(dimension: str, value: str) -> int:
    if dimension == "total":
        return 0
    return 1 + (CHANNELS.index(value) if value in CHANNELS else len(CHANNELS))


def read(settings: Settings) -> ReportData:
    """The report's data from the published marts, over the PERIOD_DAYS up to the latest date loaded."""
    with marts(settings) as con:
        labels = Labels.read(con, settings.report_language)
        [bounds] = rows(con, "select min(complaint_date) as first, max(complaint_date) as last from marts.complaints")
        if bounds["last"] is None:
            raise RuntimeError("the published marts hold no complaints: nothing to report")
        last = dt.date.fromisoformat(bounds["last"])
        first = max(dt.date.fromisoformat(bounds["first"]), last - dt.timedelta(days=PERIOD_DAYS - 1))
        data = ReportData(
            first=first,
            last=last,
            published=_published(con, settings),
            labels=labels,
            **_kpis(con, labels, last),
            **_paretos(con, labels),
            **_volume(con, labels, last),
            **_sentiment(con, labels, last),
            backlog=_backlog(con, labels),
            costs=_costs(con, labels),
            **_loads(con, labels),
        )
    data.headline = _headline(data)
    return data


def _published(con, settings: Settings) -> dict:
    if settings.warehouse_kind == "postgres":
        return {"published_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "run_id": None}
    [info] = rows(con, "select published_at, run_id from marts.snapshot_info")
    return {"published_at": info["published_at"][:16].replace("T", " ") + " UTC", "run_id": info["run_id"]}


def _period(
    con,
    mart: str,
    day: str,
    columns: str,
    last: dt.date | None = None,
    where: str = "true",
    grouped: bool = False,
    by: str = "",
) -> list[dict]:
    """A daily mart's rows over the PERIOD_DAYS up to last (default: the mart's own latest day), by day: the day
    column, then columns (with grouped, aggregates over each day, and over each value of the columns `by` names)."""
    if last is None:
        [(last,)] = con.execute(f"select max({day}) from marts.{mart}").fetchall()
        if last is None:
            return []
    first = last - dt.timedelta(days=PERIOD_DAYS - 1)
    group = f" group by {day}{', ' + by if by else ''}" if grouped else ""
    sql = f"select {day}, {columns} from marts.{mart} where {day} between ? and ? and {where}{group} order by {day}"
    return rows(con, sql, [first, last])


def _target(kpi: str) -> str:
    """The marts' column of a KPI's target: timely_handling_rate -> timely_handling_target."""
    return kpi.removesuffix("_rate") + "_target"


def _kpis(con, labels: Labels, last: dt.date) -> dict:
    columns = ", ".join(f"{kpi}, {_target(kpi)}" for kpi in TARGETED_KPIS)
    daily = _period(
        con,
        "complaint_kpis_daily",
        "complaint_date",
        f"dimension_name, dimension_value, {columns}",
        last,
        where="dimension_name in ('total', 'channel')",
    )
    # The monthly mart is built after the others (it reads the publication log): a run whose monthly build
    # failed still gets its report, without the months.
    monthly = (
        rows(
            con,
            f"select month_start_date, dimension_name, dimension_value, {columns}, analysis_timeliness_rate,"
            " analysis_timeliness_target from marts.complaint_kpis_monthly"
            " where dimension_name in ('total', 'channel') and month_start_date >= ? order by month_start_date",
            [dt.date(last.year - 1, last.month, 1)],  # thirteen months, this one the last
        )
        if has_mart(con, "complaint_kpis_monthly")
        else []
    )
    kpis = (*TARGETED_KPIS, "analysis_timeliness_rate")
    targets = {}
    for kpi in kpis:
        found = [r[_target(kpi)] for r in (*daily, *monthly) if r.get(_target(kpi)) is not None]
        if found:
            targets[kpi] = found[0]

    def points(source: list[dict], kpi: str, period: str, overall_only: bool = False) -> list[dict]:
        """The KPI's rate per series and period ('date': the daily mart's day; 'month': its name, and start)."""
        target = targets.get(kpi)
        return [
            {
                **(
                    {"date": r["complaint_date"]}
                    if period == "date"
                    # A month as words: text like 2026-08 would be read as a date by the chart, and shown as one.
                    else {
                        "month": f"{dt.date.fromisoformat(r['month_start_date']):%b %Y}",
                        "month_start": r["month_start_date"],
                    }
                ),
                "series": labels.series(r["dimension_name"], r["dimension_value"])
                if r["dimension_name"] == "total"
                else labels("channel", r["dimension_value"]),
                "is_overall": r["dimension_name"] == "total",
                "rate": r[kpi],
                "below": target is not None and r[kpi] < target - 1e-9,
            }
            for r in source
            if r[kpi] is not None and (r["dimension_name"] == "total" or not overall_only)
        ]

    return {
        "targets": targets,
        "kpi_daily": {kpi: points(daily, kpi, "date") for kpi in TARGETED_KPIS},
        "kpi_monthly": {
            kpi: points(monthly, kpi, "month", overall_only=kpi == "analysis_timeliness_rate") for kpi in kpis
        },
    }


def _paretos(con, labels: Labels) -> dict:
    causes = rows(
        con,
        "select week_start_date, fishbone_cause, complaint_count, cumulative_share, is_vital_few, pareto_rank"
        " from marts.complaint_root_causes_weekly"
        " where week_start_date = (select max(week_start_date) from marts.complaint_root_causes_weekly)"
        " order by pareto_rank",
    )
    categories = rows(
        con,
        "select scope_name, scope_value, complaint_category, complaint_count, cumulative_share, is_vital_few,"
        " pareto_rank from marts.complaint_category_pareto_weekly"
        " where week_start_date = (select max(week_start_date) from marts.complaint_category_pareto_weekly)"
        " order by scope_name, scope_value, pareto_rank",
    )
    scopes = sorted(
        {(r["scope_name"], r["scope_value"]) for r in categories},
        key=lambda s: (_dimension_order(s[0]), labels(*s)),
    )

    def bar(r: dict, kind: str, code: str) -> dict:
        return {
            "label": labels(kind, r[code]),
            "count": r["complaint_count"],
            "cumulative": r["cumulative_share"],
            "vital": bool(r["is_vital_few"]),
            "rank": r["pareto_rank"],
        }

    return {
        "causes": [bar(r, "cause", "fishbone_cause") for r in causes],
        "causes_week": causes[0]["week_start_date"] if causes else None,
        "categories": [
            {**bar(r, "category", "complaint_category"), "scope": f"{r['scope_name']}:{r['scope_value']}"}
            for r in categories
        ],
        "category_scopes": [(f"{n}:{v}", labels.series(n, v)) for n, v in scopes],
    }


def _volume(con, labels: Labels, last: dt.date) -> dict:
    found = _period(
        con,
        "complaint_surges_daily",
        "surge_date",
        "dimension_name, dimension_value, actual_count as actual, expected_count as expected, surge_level as level",
        last,
    )
    return _levelled("volume", found, "surge_date", labels)


def _sentiment(con, labels: Labels, last: dt.date) -> dict:
    """The negative share of each day's scored complaints against the share of the days before, in percent."""
    if not has_mart(con, "complaint_sentiment_daily"):  # a snapshot published before the mart existed
        return {}
    found = _period(
        con,
        "complaint_sentiment_daily",
        "complaint_date",
        "dimension_name, dimension_value, 100 * negative_share as actual, 100 * baseline_negative_share as expected,"
        " sentiment_level as level",
        last,
    )
    for row in found:  # in percent, to a tenth (PostgreSQL rounds no double precision to places)
        row["actual"], row["expected"] = (None if v is None else round(v, 1) for v in (row["actual"], row["expected"]))
    return _levelled("sentiment", found, "complaint_date", labels)


def _levelled(name: str, found: list[dict], day: str, labels: Labels) -> dict:
    """A daily series chart's rows (series, date, actual, expected, level) and its series, overall first."""
    series = sorted(
        {(r["dimension_name"], r["dimension_value"]) for r in found},
        key=lambda s: (_dimension_order(s[0]), _series_order(*s), labels(*s)),
    )
    return {
        name: [
            {
                "series": f"{r['dimension_name']}:{r['dimension_value']}",
                "date": r[day],
                "actual": r["actual"],
                "expected": r["expected"],
                "level": r["level"],
                "level_label": labels("surge_level", r["level"]) if r["level"] else None,
            }
            for r in found
        ],
        f"{name}_series": [(f"{n}:{v}", labels.series(n, v)) for n, v in series],
    }


def _backlog(con, labels: Labels) -> list[dict]:
    """By the days the book was known (the exports' dates): the report's own period where exports are daily."""
    sums = ", ".join(f"sum({age}) as {age}" for age in AGES)
    found = _period(con, "complaint_backlog_daily", "backlog_date", sums, grouped=True)
    return [
        {"date": r["backlog_date"], "age": labels("age", age), "order": i, "count": int(r[age] or 0)}
        for r in found
        for i, age in enumerate(AGES)
    ]


def _costs(con, labels: Labels) -> list[dict]:
    """Each week's cost by stage, every channel together, over the report's period."""
    if not has_mart(con, "complaint_costs_weekly"):  # a snapshot published before the mart existed
        return []
    found = _period(
        con,
        "complaint_costs_weekly",
        "week_start_date",
        "cost_stage, min(stage_order) as stage_order, sum(cost_amount) as cost",
        grouped=True,
        by="cost_stage",
    )
    return [
        {"date": r["week_start_date"], "stage": labels("cost_stage", r["cost_stage"]), "order": r["stage_order"],
         "cost": round(r["cost"] or 0, 2)}
        for r in found
    ]  # fmt: skip


# What the data-quality table adds up per channel: its name, and the column of channel_loads_daily it sums.
_TOTALS = {
    "days": None,
    "records_in": "records_in_count",
    "loaded": "loaded_count",
    "quarantined": "quarantined_count",
    "withheld": "withheld_count",
    "blocked_days": "is_blocked",
    "not_delivered_days": "is_not_delivered",
}


def _loads(con, labels: Labels) -> dict:
    """By landing date, which is the complaints' date for a daily export, not for a backfill of old exports."""
    columns = "channel, records_in_count, loaded_count, quarantined_count, withheld_count, is_blocked, is_not_delivered"
    found = _period(con, "channel_loads_daily", "landing_date", columns)
    totals: dict[str, dict] = {}
    for r in found:
        total = totals.setdefault(
            r["channel"], {"channel": labels("channel", r["channel"])} | dict.fromkeys(_TOTALS, 0)
        )
        total["days"] += 1
        for name, column in _TOTALS.items():
            total[name] += int(r[column] or 0) if column else 0
    return {
        "loads": [
            {
                "date": r["landing_date"],
                "channel": labels("channel", r["channel"]),
                "loaded": r["loaded_count"],
                "quarantined": r["quarantined_count"],
                "problem": "blocked" if r["is_blocked"] else "not delivered" if r["is_not_delivered"] else None,
            }
            for r in found
        ],
        "load_totals": [totals[c] for c in sorted(totals, key=lambda c: _series_order("channel", c))],
    }


def _headline(data: ReportData) -> dict:
    """The last day's overall figures beside the period's, for the page's top."""
    last = data.last.isoformat()
    figures = {}
    for kpi, points in data.kpi_daily.items():
        overall = [p for p in points if p["is_overall"]]
        today = [p["rate"] for p in overall if p["date"] == last]
        figures[kpi] = {
            "label": data.labels("kpi", kpi),
            "last": today[0] if today else None,
            "period": sum(p["rate"] for p in overall) / len(overall) if overall else None,
            "below_days": sum(p["below"] for p in overall),
            "days": len(overall),
            "target": data.targets.get(kpi),
        }
    surges = [r for r in data.volume if r["level"] in ("warning", "critical")]
    complaints = [r["actual"] for r in data.volume if r["series"] == "total:all" and r["date"] == last]
    return {"kpis": figures, "surges": len(surges), "complaints": complaints[0] if complaints else None}
