"""Intraday early warning, measured: a day of landed files replayed in time order into a real Airflow scheduler
(LocalExecutor, SQLite metadata) running complaints_intraday, then complaints_daily for the day.

    PYTHONPATH=plugins .venv/bin/python benchmarks/intraday_replay.py                 # a surge from 10:00
    PYTHONPATH=plugins .venv/bin/python benchmarks/intraday_replay.py --surge none    # an ordinary day

History (--history-days before the day, --per-day complaints a day) is generated and loaded by the pipeline's
stages in one process, not timed. The day is generated with the surge starting at a known minute and a critical
complaint (a web form: "caught fire") submitted at another, then split into the files that land during it (web forms
and social pages every 5 minutes, each email as it arrives, the call centre's export at midnight:
sample_data/drops.py), each with its landing time as its modification time. Airflow's backfill of
complaints_intraday over the window makes one run per interval; the scheduler starts them in order, and each reads
what had landed by its interval's end, as it would have that day. One more run, just after midnight, finds nothing
new. Then complaints_daily's backfill of the day, on the same scheduler.

Printed:
- the surge's delay: from its first complaint landing (the first file landed after its start minute that can hold
  it: its channel's, for a channel surge) to its alert email arriving at the SMTP server: the replayed clock's wait
  for the run that alerted (its interval's end) + that run's own time on the scheduler (real seconds from its start
  to the email's arrival); and the same from its start minute;
- exactly once: the emails naming the surging series, from the intraday and the daily runs;
- the fast lane: the run that loaded the critical complaint, and whether its email came from that run;
- cost: seconds per intraday run with no new files (the short circuit), and per run with new files as a fixed part
  plus seconds per 1,000 new complaints (least squares over the runs).
With --check, exits 1 naming what failed: a run that did not succeed, a surge alert later than --bound minutes or
sent twice, a critical complaint not alerted by the run that loaded it, or (--surge none) any surge alert.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import json
import logging
import os
import re
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from harness import header, run  # noqa: E402
from scratch import scratch_settings  # noqa: E402

from complaints_pipeline import pipeline  # noqa: E402
from complaints_pipeline.demo import smtp_connection  # noqa: E402
from complaints_pipeline.local_airflow import AirflowServices, airflow_cli  # noqa: E402
from complaints_pipeline.modes import airflow_env  # noqa: E402
from complaints_pipeline.reference import CHANNELS  # noqa: E402
from complaints_pipeline.sample_data import Surge, generate  # noqa: E402
from complaints_pipeline.sample_data.drops import land_during_day, latest_received  # noqa: E402
from complaints_pipeline.smtp_sink import SmtpSink  # noqa: E402

MANAGERS, DUTY = "managers@example.com", "duty-manager@example.com"
CRITICAL_TEXT = "The charger caught fire on my desk last night and the smoke filled the room."


def hhmm(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def parse_surge(text: str, day: dt.date) -> Surge | None:
    """`dimension:value:multiplier@HH:MM`, or `none`."""
    if text == "none":
        return None
    spec, start = text.split("@")
    dimension, value, multiplier = spec.split(":")
    start_time = hhmm(start)
    return Surge(dimension, value, day, 1, float(multiplier), start_time.hour * 60 + start_time.minute)


def add_critical_form(landing: Path, day: dt.date, at: dt.time, tz: str) -> str:
    """A web form whose text names a fire, submitted at `at`: the fast lane's complaint. Returns its reference."""
    path = landing / "web" / day.isoformat() / f"submissions_{day.isoformat()}.jsonl"
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    submitted = dt.datetime.combine(day, at, ZoneInfo(tz))
    record |= {"submission_id": f"S{day:%Y%m%d}9999999", "submitted_at": submitted.isoformat(), "severity": 2}
    record |= {"description": CRITICAL_TEXT, "ticket": record["ticket"] | {"status": "open", "resolved_at": None}}
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return f"WB-{record['submission_id']}"


def records_in(path: Path) -> int:
    if path.suffix == ".jsonl":
        return sum(1 for _ in path.open(encoding="utf-8"))
    if path.parts[-3] == "social":
        return len(json.loads(path.read_text(encoding="utf-8"))["data"])
    return 1


def subject_of(message: email.message.EmailMessage) -> str:
    """The subject as one line (a long one is folded in the message)."""
    return " ".join(str(message["Subject"]).split())


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # A Wednesday whose four weeks before hold no public holiday (CN): four same weekdays to learn the shares from.
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 11, 18), help="the replayed day")
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--history-days", type=int, default=28)
    parser.add_argument("--surge", default="category:billing_dispute:3.0@10:00", help="dimension:value:x@HH:MM, none")
    parser.add_argument("--critical-at", type=hhmm, default=hhmm("10:12"), help="the critical form's submission")
    parser.add_argument("--first", type=hhmm, default=hhmm("00:00"), help="the first replayed run's interval start")
    parser.add_argument("--last", type=hhmm, default=hhmm("23:50"), help="the last replayed run's interval start")
    parser.add_argument("--home", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="the home's history is loaded already: only the day")
    parser.add_argument("--bound", type=float, default=30.0, help="minutes a surge alert may take (--check)")
    parser.add_argument("--check", action="store_true", help="exit 1 when an expectation does not hold")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args(argv)
    header(__doc__.strip().splitlines()[0], **vars(args))
    logging.basicConfig(level=logging.WARNING)

    settings = scratch_settings(args.home, "intraday-replay-")
    home, tz, day = settings.home, settings.local_tz, args.day
    zone, every = ZoneInfo(tz), settings.intraday_minutes
    surge = parse_surge(args.surge, day)
    started = time.perf_counter()
    if not args.reuse:
        first = day - dt.timedelta(days=args.history_days)
        generate(
            first, day - dt.timedelta(days=1), settings.landing_dir, per_day=args.per_day, seed=args.seed, surges=[]
        )
        dates = [(first + dt.timedelta(days=n)).isoformat() for n in range(args.history_days)]
        for channel in CHANNELS:
            pipeline.extract_channel(channel, dates)
        pipeline.load_warehouse(list(CHANNELS), dates, run_id="history")
        pipeline.build_marts(dates, run_id="history")
    generate(day, day, settings.landing_dir, per_day=args.per_day, seed=args.seed, surges=[surge] if surge else [])
    critical_id = add_critical_form(settings.landing_dir, day, args.critical_at, tz)
    landed = land_during_day(settings.landing_dir, day, every=5, lag=1, tz=tz)
    setup = time.perf_counter() - started
    print(f"history: {args.history_days} days, {args.per_day:,} complaints a day ({setup:.0f} s, not timed further)")

    def at(clock: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, clock, zone)

    window = (at(args.first), at(args.last))
    interval_ends = []
    end = window[0] + dt.timedelta(minutes=every)
    while end <= window[1] + dt.timedelta(minutes=every):
        interval_ends.append(end)
        end += dt.timedelta(minutes=every)
    new_in = {
        e: sum(records_in(p) for t, p in landed if e - dt.timedelta(minutes=every) < t <= e) for e in interval_ends
    }
    mail_dir = home / "replay-mail"
    problems: list[str] = []  # expectations that do not hold (--check)
    failures: list[str] = []  # runs that did not succeed: always a failure of the benchmark
    with SmtpSink(mail_dir) as sink:
        env = airflow_env(
            {
                **os.environ,
                "COMPLAINTS_HOME": str(home),
                "AIRFLOW_HOME": str(home / "airflow"),
                "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(sink.port, "pipeline@example.com"),
                "AIRFLOW_VAR_COMPLAINTS_ALERT_RECIPIENTS": MANAGERS,
                "AIRFLOW_VAR_COMPLAINTS_CRITICAL_RECIPIENTS": DUTY,
                "COMPLAINTS_RETRY_DELAY_SECONDS": "1",
            }
        )
        airflow_cli(env, "db", "migrate")
        airflow_cli(env, "pools", "set", "warehouse", "1", "single DuckDB writer")
        with AirflowServices(env, home / "replay-services") as airflow:
            for dag_id in ("complaints_intraday", "complaints_daily"):
                airflow.unpause(dag_id)
            replay_started = time.perf_counter()
            airflow.backfill("complaints_intraday", *window)
            # One more, after midnight: the next day's folder has nothing yet (the short circuit).
            after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
            airflow.backfill_runs("complaints_intraday", len(interval_ends), 120 * len(interval_ends) + 300)
            airflow.backfill("complaints_intraday", after, after)
            runs = airflow.backfill_runs("complaints_intraday", len(interval_ends) + 1, 600)
            replay_seconds = time.perf_counter() - replay_started
            airflow.backfill("complaints_daily", at(dt.time(0)), at(dt.time(0)))
            (daily,) = airflow.backfill_runs("complaints_daily", 1, 1800)
            for run in [*runs, daily]:
                if run["state"] != "success":
                    tasks = airflow.task_instances(run)
                    failed = sorted(t["task_id"] for t in tasks if t["state"] == "failed")
                    failures.append(f"{run['dag_id']} run {run['dag_run_id']}: {run['state']} (failed: {failed})")
        mails = [
            (dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC), email.message_from_bytes(p.read_bytes(),
             policy=email.policy.default))
            for p in sink.messages()
        ]  # fmt: skip
        mails.sort(key=lambda arrived_mail: arrived_mail[0])  # as they arrived

    by_end = {moment(r["data_interval_end"]).astimezone(zone): r for r in runs}
    duration = {e: (moment(r["end_date"]) - moment(r["start_date"])).total_seconds() for e, r in by_end.items()}
    span = f"{window[0]:%H:%M} to {after:%Y-%m-%d %H:%M}"
    print(f"\nreplayed {day} ({day:%A}), {args.per_day:,} complaints a day, a run every {every} minutes:")
    print(f"  {len(runs)} intraday runs ({span}), {replay_seconds:.0f} s in all")

    # Cost: the short circuit, and runs with new files (a fixed part + a part per complaint).
    empty = [duration[e] for e in by_end if e not in new_in or new_in[e] == 0]
    loaded = [(new_in[e], duration[e]) for e in interval_ends if new_in[e] > 0 and e in duration]
    if empty:
        print(f"  runs with no new file: {len(empty)}, median {statistics.median(empty):.1f} s on the scheduler")
    if loaded:
        xs, ys = [x for x, _ in loaded], [y for _, y in loaded]
        slope = statistics.linear_regression(xs, ys).slope if len(set(xs)) > 1 else 0.0
        fixed = statistics.mean(ys) - slope * statistics.mean(xs)
        print(f"  runs with new files: {len(loaded)}, {sum(xs):,} new records, median {statistics.median(ys):.1f} s"
              f" a run; least squares: {fixed:.1f} s a run + {slope * 1000:.1f} s per 1,000 new records")  # fmt: skip

    surge_mails = [(t, m) for t, m in mails if m["To"] == MANAGERS]
    if surge is None:
        print(f"  ordinary day: {len(surge_mails)} surge email(s) (intraday and daily)")
        if surge_mails:
            problems.append("surge emails on an ordinary day: " + "; ".join(subject_of(m) for _, m in surge_mails))
    else:
        start = dt.datetime.combine(day, dt.time(surge.start_minute // 60, surge.start_minute % 60), zone)
        label = f"{surge.dimension.capitalize()}: {surge.value.replace('_', ' ').capitalize()}"
        about = [(t, m) for t, m in surge_mails if re.search(rf"^{re.escape(label)}: \d", text_of(m), re.M)]
        intraday_mails = [(t, m) for t, m in about if " by " in subject_of(m)]
        print(f"  surge: {surge.dimension} {surge.value} x{surge.multiplier:g} from {start:%H:%M}")
        if not intraday_mails:
            problems.append(f"no intraday alert of the surge from {start:%H:%M}")
        else:
            arrived, first_mail = intraday_mails[0]
            alerted_by = re.search(r" by (\d\d:\d\d)", subject_of(first_mail)).group(1)
            end = dt.datetime.combine(day, hhmm(alerted_by), zone)
            run = by_end[end]
            own = (arrived - moment(run["start_date"])).total_seconds()
            from_start = (end - start).total_seconds() / 60 + own / 60
            # The measure: from the surge's first complaint landing, the first file landed holding a
            # complaint sent at or after its start (its channel's, for a channel surge).
            first_landed = min(
                t
                for t, p in landed
                if (surge.dimension != "channel" or p.parts[-3] == surge.value)
                and (latest_received(p) or start - dt.timedelta(seconds=1)) >= start
            )
            delay = (end - first_landed).total_seconds() / 60 + own / 60
            print(f"  first alert: {subject_of(first_mail)!r}")
            wait = (end - first_landed).total_seconds() / 60
            print(f"  delay from its first complaint landing ({first_landed:%H:%M}): {wait:.0f} min to the run ending"
                  f" {end:%H:%M} + {own:.0f} s of that run = {delay:.1f} min (aim: within {args.bound:g});"
                  f" from its start ({start:%H:%M}): {from_start:.1f} min")  # fmt: skip
            if delay > args.bound:
                problems.append(f"the surge alert took {delay:.1f} min, more than {args.bound:g}")
        levels = [re.search(rf"^{re.escape(label)}: .*\((\w+),", text_of(m), re.M).group(1) for _, m in about]
        print(f"  emails naming it: {len(about)} ({', '.join(levels)}): {len(intraday_mails)} intraday,"
              f" {len(about) - len(intraday_mails)} daily")  # fmt: skip
        if len(set(levels)) != len(levels):
            problems.append(f"the surge was alerted more than once at a level: {[subject_of(m) for _, m in about]}")
        daily_mails = [m for _, m in surge_mails if " by " not in subject_of(m)]
        listed = [m for m in daily_mails if f"Already alerted on this date: {label}" in text_of(m)]
        print(f"  the daily run's surge emails: {len(daily_mails)}, listing it as already alerted: {len(listed)}")

    critical_mails = [(t, m) for t, m in mails if m["To"] == DUTY and f"({critical_id})" in subject_of(m)]
    landed_at = next(t for t, p in landed if p.parts[-3] == "web" and critical_id[3:] in p.read_text(encoding="utf-8"))
    loader = min((e for e in interval_ends if e >= landed_at), default=None)
    if len(critical_mails) != 1 or loader is None:
        problems.append(f"the critical complaint {critical_id} was emailed {len(critical_mails)} times")
    else:
        arrived = critical_mails[0][0]
        run = by_end[loader]
        from_its_run = moment(run["start_date"]) <= arrived <= moment(run["end_date"])
        into = (arrived - moment(run["start_date"])).total_seconds()
        print(f"  critical complaint {critical_id}: landed {landed_at:%H:%M}; emailed once, by the run ending")
        print(f"    {loader:%H:%M} (which loaded it): {'yes' if from_its_run else 'NO'}, {into:.0f} s into that run")
        if not from_its_run:
            problems.append(f"the critical complaint was not emailed by the run ending {loader:%H:%M}, which loaded it")
    others = sum(1 for _, m in mails if m["To"] == DUTY) - len(critical_mails)
    print(f"  other critical complaints emailed (severity 5 or a keyword): {others}")
    print(f"  daily run of {day}: {daily['state']},"
          f" {(moment(daily['end_date']) - moment(daily['start_date'])).total_seconds():.0f} s")  # fmt: skip

    for problem in failures + problems:
        print(f"FAILED: {problem}")
    return 1 if failures or (problems and args.check) else 0


if __name__ == "__main__":
    run(main)
