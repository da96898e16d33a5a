"""The short report the demo prints after a run: loads per channel, headline KPIs, surges, alert mail.

Reads the warehouse read-only, so it can run while nothing else writes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from complaints_pipeline import data_docs, report
from complaints_pipeline.config import Settings
from complaints_pipeline.warehouse import connect, local_date

HEADLINE_KPIS = ("timely_handling_rate", "satisfaction_rate", "effective_resolution_rate", "analysis_timeliness_rate")


def _fmt_rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:6.1%}"


def render(settings: Settings, first: dt.date, last: dt.date) -> str:
    con = connect(settings.warehouse_path, read_only=True)
    try:
        lines = [
            f"Complaints pipeline: {first} to {last}",
            "",
            "Records per channel",
        ]
        lines.append(
            f"  {'channel':<8} {'records':>9} {'loaded':>9} {'of them updates':>16} {'quarantined':>12} {'skipped':>8}"
        )
        per_channel = con.execute(
            """
            select channel, sum(records_in), sum(loaded), sum(coalesce(updates, 0)), sum(quarantined), sum(skipped),
                   sum(records_in - skipped),
                   count(*) filter (where gate = 'passed' and gate_messages is not null),
                   count(*) filter (where gate = 'blocked'),
                   (select count(distinct name) from (
                        select unnest(string_split(r.expectations_failed, '; ')) as name
                        from raw.load_reconciliation as r
                        where r.channel = load_reconciliation.channel and r.partition_date between $1 and $2
                    ))
            from raw.load_reconciliation where partition_date between $1 and $2
            group by channel order by channel
            """,
            [first, last],
        ).fetchall()
        for channel, records, loaded, updates, quarantined, skipped, *_ in per_channel:
            lines.append(f"  {channel:<8} {records:>9,} {loaded:>9,} {updates:>16,} {quarantined:>12,} {skipped:>8,}")
        lines += _life_of_first_day(con, settings, first, last)
        lines += ["", "Quality gate per channel (suites in expectations/)"]
        lines.append(
            f"  {'channel':<8} {'rows checked':>12} {'expectations failed':>20} {'quarantined':>12}"
            f" {'days warned':>12} {'days blocked':>13}"
        )
        for channel, _, _, _, quarantined, _, checked, warned, blocked, failed in per_channel:
            lines.append(f"  {channel:<8} {checked:>12,} {failed:>20} {quarantined:>12,} {warned:>12} {blocked:>13}")
        lines.append(f"  Data Docs (every expectation, per channel and day): {data_docs.index_page(settings).as_uri()}")

        kpis = con.execute(
            """
            select
                sum(timely_resolution_count) / nullif(sum(resolution_due_count), 0),
                sum(satisfied_count) / nullif(sum(surveyed_count), 0),
                sum(effectively_resolved_count) / nullif(sum(resolved_count), 0)
            from marts.complaint_kpis_daily
            where dimension_name = 'total' and complaint_date between ? and ?
            """,
            [first, last],
        ).fetchone()
        timeliness = con.execute(
            """
            select sum(on_time_day_count) / nullif(sum(published_day_count), 0)
            from marts.complaint_kpis_monthly
            where dimension_name = 'total' and month_start_date between date_trunc('month', ?::date) and ?
            """,
            [first, last],
        ).fetchone()
        targets = dict(con.execute("select kpi_name, target_rate from reference.kpi_targets").fetchall())
        lines += ["", "Headline KPIs (whole period, all channels)"]
        for name, value in zip(HEADLINE_KPIS, kpis + timeliness, strict=True):
            target = targets[name]
            verdict = "n/a" if value is None else ("met" if value >= target else "MISSED")
            lines.append(f"  {name:<27} {_fmt_rate(value)}  target {target:.0%}  {verdict}")

        surges = con.execute(
            """
            select surge_date,
                   string_agg(dimension_name || ' ' || dimension_value || ' ' || round(actual_to_expected_ratio, 1)
                              || 'x ' || surge_level, ', ' order by actual_to_expected_ratio desc)
                       filter (where coalesce(is_concentrated, true)),
                   count(*) filter (where not coalesce(is_concentrated, true))
            from marts.complaint_surges_daily
            where is_surge and surge_date between ? and ?
            group by surge_date order by surge_date
            """,
            [first, last],
        ).fetchall()
        lines += ["", f"Surges flagged: {len(surges)} day(s)"]
        for day, own, spread in surges:
            lifted = f"  (+{spread} series it lifted)" if spread else ""
            lines.append(f"  {day}  {own or 'no value stands out'}{lifted}")
        # The alerts task creates the log on every run.
        alerted = con.execute(
            "select status, count(*) from ops.alert_log where surge_date between ? and ? group by 1 order by 1",
            [first, last],
        ).fetchall()
        # The fast lane's log, created by its task on every run.
        critical = con.execute(
            "select status, count(*) from ops.critical_alert_log where complaint_date between ? and ?"
            " group by 1 order by 1",
            [first, last],
        ).fetchall()
    finally:
        con.close()
    mails = sorted(Path(settings.mail_dir).glob("*.eml"))
    log = ", ".join(f"{n} {status}" for status, n in alerted) or "none"
    fast = ", ".join(f"{n} {status}" for status, n in critical) or "none"
    lines += ["", f"Emails caught: {len(mails)} in {settings.mail_dir} (surge dimensions in ops.alert_log: {log})"]
    lines += [
        f"Critical complaints (the fast lane, ops.critical_alert_log): {fast}; those received more than"
        f" {settings.critical_lookback_hours:g} hours ago are logged, not emailed"
    ]
    lines += [f"Marts for BI tools: {settings.published_dir / 'complaints_marts.duckdb'} (read-only snapshot)"]
    latest = report.reports_dir(settings) / report.LATEST
    lines += [f"Report of the last run (opens offline in a browser): {latest.as_uri()}"]
    return "\n".join(lines)


def _life_of_first_day(con, settings: Settings, first: dt.date, last: dt.date) -> list[str]:
    """How the first day's phone and web complaints were answered and resolved, as each later export told."""
    received = local_date("received_at", settings.local_tz)
    rows = con.execute(
        f"""
        with versions as (
            select complaint_id, partition_date, version_kind, first_response_at, resolved_at, status, received_at
            from raw.phone_complaints
            union all
            select complaint_id, partition_date, version_kind, first_response_at, resolved_at, status, received_at
            from raw.web_complaints
        ),
        registered as (
            select distinct complaint_id from versions where version_kind = 'snapshot' and {received} = $first
        ),
        known as (
            select versions.* from versions inner join registered using (complaint_id)
        ),
        landings as (
            select distinct partition_date as landing_date from known where partition_date between $first and $last
        )
        select
            landings.landing_date,
            count(distinct case when known.first_response_at is not null then known.complaint_id end),
            count(distinct case
                when known.resolved_at is not null or known.status in ('resolved', 'closed') then known.complaint_id
            end),
            (select count(*) from registered)
        from landings
        inner join known on known.partition_date <= landings.landing_date
        group by 1 order by 1 limit 8
        """,
        {"first": first, "last": last},
    ).fetchall()
    if not rows:
        return []
    lines = ["", f"Phone and web complaints received on {first} ({rows[0][3]:,}), as the exports after it told"]
    for landing_date, answered, resolved, total in rows:
        lines.append(
            f"  exported {landing_date}: {answered:>6,} answered ({answered / total:6.1%})"
            f" {resolved:>6,} resolved ({resolved / total:6.1%})"
        )
    return lines
