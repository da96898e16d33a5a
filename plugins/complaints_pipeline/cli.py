"""`complaints`: the operator's command line (installed into the virtual environment by `make setup`).

Every command works in the configured mode (COMPLAINTS_MODE): embedded (default) runs the DAG with
`airflow dags test` (no scheduler needed, SQLite metadata, mail to the loopback sink unless an SMTP connection
is configured); server hands runs to the deployment's scheduler. `complaints --help` lists the commands,
`complaints COMMAND --help` explains one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from complaints_pipeline import checks
from complaints_pipeline.config import Settings, load_settings, mode
from complaints_pipeline.modes import airflow_env
from complaints_pipeline.reference import CHANNELS

app = typer.Typer(
    help="The complaint analytics pipeline: run and backfill dates, land files, see what ran, replay quarantine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
quarantine_app = typer.Typer(help="Records the pipeline set aside, with the reason: list, show, export, replay.")
app.add_typer(quarantine_app, name="quarantine", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

DAG_ID = "complaints_daily"
Channel = Annotated[list[str] | None, typer.Option("--channel", "-c", help="Only this channel (repeatable).")]


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]complaints:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ValueError as wrong:
        raise fail(str(wrong)) from None


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


def local_midnight(day: dt.date, local_tz: str) -> str:
    """The start of the day in the local time zone, as ISO 8601 with its UTC offset."""
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(local_tz)).isoformat()


def yesterday(settings: Settings) -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(settings.local_tz)).date() - dt.timedelta(days=1)


def selected(channels: list[str] | None) -> list[str]:
    for channel in channels or []:
        if channel not in CHANNELS:
            raise typer.BadParameter(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    return list(channels or CHANNELS)


# ---------------------------------------------------------------- Airflow, in the configured mode


AIRFLOW = Path(sys.executable).with_name("airflow")  # this virtualenv's; PATH need not hold it


def run_log(settings: Settings) -> Path:
    """Where the output of every Airflow command `complaints` starts goes."""
    log = settings.home / "logs" / "complaints.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return log


def airflow(env: dict[str, str], *args: str, log: Path) -> subprocess.CompletedProcess:
    """An Airflow CLI command of this virtualenv, its output appended to log."""
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"\n$ airflow {' '.join(args)}\n")
        handle.flush()
        return subprocess.run([str(AIRFLOW), *args], env=env, stdout=handle, stderr=subprocess.STDOUT)


def tail(log: Path, lines: int = 25) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def ensure_metadata(env: dict[str, str], log: Path) -> None:
    """Embedded mode: Airflow's SQLite metadata database migrated and the warehouse pool made, once per
    Airflow version (a stamp in AIRFLOW_HOME says it was done)."""
    from importlib.metadata import version

    stamp = Path(env["AIRFLOW_HOME"]) / ".complaints-installed"
    wanted = f"apache-airflow {version('apache-airflow')}\n"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    with console.status(f"Preparing Airflow's metadata database in {env['AIRFLOW_HOME']} (once)"):
        for args in (("db", "migrate"), ("pools", "set", "warehouse", "1", "One writer at a time: the warehouse")):
            if airflow(env, *args, log=log).returncode != 0:
                raise fail(f"`airflow {' '.join(args)}` failed; its output is in {log}:\n{tail(log)}")
    stamp.write_text(wanted)


def _task_of(line: str) -> str | None:
    """The task a line of `airflow dags test`'s output is about, if it names one."""
    marker = "task_id="
    at = line.find(marker)
    if at < 0:
        return None
    name = line[at + len(marker) :].split()[0].strip("',\"")
    return name or None


def dags_test(env: dict[str, str], conf: dict, label: str, log: Path) -> bool:
    """One run of the DAG in this process's mode with `airflow dags test`, showing the task it is on; True if the
    run succeeded. Its whole output goes to log."""
    logical = dt.date.fromisoformat(conf["end_date"]) + dt.timedelta(days=1)
    command = [str(AIRFLOW), "dags", "test", DAG_ID, logical.isoformat(), "--conf", json.dumps(conf)]
    started = time.monotonic()
    with log.open("a", encoding="utf-8") as handle, console.status(f"{label}: starting") as status:
        handle.write(f"\n$ {' '.join(command)}\n")
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            handle.write(line)
            task = _task_of(line)
            if task:
                status.update(f"{label}: {task} ({time.monotonic() - started:.0f} s)")
        returncode = process.wait()
    seconds = time.monotonic() - started
    if returncode == 0:
        console.print(f"[green]✓[/] {label}: succeeded in {seconds:.0f} s")
    else:
        console.print(f"[red]✗[/] {label}: failed after {seconds:.0f} s (output in {log})")
    return returncode == 0


class LoopbackMail:
    """Embedded mode without a configured SMTP connection: the loopback sink for the run's mail
    ($COMPLAINTS_HOME/mail), the connection pointed at it."""

    def __init__(self, settings: Settings, env: dict[str, str]) -> None:
        self.settings, self.env = settings, env
        self.pidfile = settings.home / "run" / "smtp_sink.pid"
        self.started = False

    def __enter__(self) -> LoopbackMail:
        from complaints_pipeline import smtp_sink
        from complaints_pipeline.demo import smtp_connection

        connection = f"AIRFLOW_CONN_{self.settings.smtp_conn_id.upper()}"
        if mode() != "embedded" or self.env.get(connection):
            return self
        port = self.settings.smtp_port
        try:
            smtp_sink.check_port("127.0.0.1", port)
        except SystemExit as taken:
            raise fail(f"{taken} (or COMPLAINTS_SMTP_PORT=...)") from None
        smtp_sink.start_background(self.settings.mail_dir, port, self.pidfile)
        self.env[connection] = smtp_connection(port, self.settings.alert_sender)
        self.started = True
        return self

    def __exit__(self, *exc) -> None:
        from complaints_pipeline import smtp_sink

        if self.started:
            smtp_sink.stop_background(self.pidfile)


def conf_of(first: dt.date, last: dt.date, channels: list[str], full_refresh: bool, lookback: int) -> dict:
    return {
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "channels": channels,
        "full_refresh": full_refresh,
        "lookback_days": lookback,
    }


def trigger_on_server(env: dict[str, str], conf: dict, log: Path) -> None:
    """Server mode: the run goes to the deployment's scheduler (`airflow dags trigger`); returns at once."""
    done = airflow(env, "dags", "trigger", DAG_ID, "--conf", json.dumps(conf), log=log)
    if done.returncode != 0:
        raise fail(f"`airflow dags trigger` failed; output in {log}:\n{tail(log)}")
    console.print(f"Triggered {DAG_ID} for {conf['start_date']} to {conf['end_date']}; follow it: complaints status")


def run_range(
    settings: Settings, runs: list[tuple[dt.date, dt.date]], channels: list[str], full_refresh: bool, lookback: int
) -> list[tuple[str, bool]]:
    """Each (first, last) as one run of the DAG, in order; what each did."""
    log, env = run_log(settings), airflow_env()
    if mode() == "server":
        for first, last in runs:
            trigger_on_server(env, conf_of(first, last, channels, full_refresh, lookback), log)
        return []
    ensure_metadata(env, log)
    outcomes = []
    with LoopbackMail(settings, env):
        for number, (first, last) in enumerate(runs, start=1):
            label = f"run {number}/{len(runs)} {first}" + ("" if first == last else f" to {last}")
            conf = conf_of(first, last, channels, full_refresh, lookback)
            outcomes.append((label, dags_test(env, conf, label, log)))
    return outcomes


# ---------------------------------------------------------------- commands


@app.command()
def run(
    start: Annotated[str | None, typer.Argument(help="First landing date (default: yesterday).")] = None,
    end: Annotated[str | None, typer.Argument(help="Last landing date (default: START).")] = None,
    channel: Channel = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild every mart over all history (new rules).")] = False,
    lookback: Annotated[int, typer.Option(help="Earlier days checked for files that landed late.")] = 7,
) -> None:
    """Run (or rerun) a date, or a range as one run, through Airflow: extract, validate, load, dbt, publish, alert.

    A rerun replaces exactly those dates; the run fails, naming each channel-day, when one was not loaded."""
    settings = settings_or_exit()
    checks.exit_on_problems(checks.before_run(settings))
    first = parse_date(start) if start else yesterday(settings)
    last = parse_date(end) if end else first
    if last < first:
        raise typer.BadParameter(f"END {last} is before START {first}")
    outcomes = run_range(settings, [(first, last)], selected(channel), full_refresh, lookback)
    _finish(settings, outcomes, first, last)


@app.command()
def backfill(
    start: Annotated[str, typer.Argument(help="First landing date.")],
    end: Annotated[str, typer.Argument(help="Last landing date.")],
    channel: Channel = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild every mart over all history first.")] = False,
) -> None:
    """One run per day from START to END, in order, as the daily schedule would have run them (server mode:
    Airflow's own backfill). Goes on after a failed day and lists them at the end."""
    settings = settings_or_exit()
    checks.exit_on_problems(checks.before_run(settings))
    first, last = parse_date(start), parse_date(end)
    if last < first:
        raise typer.BadParameter(f"END {last} is before START {first}")
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    if mode() == "server":
        log = run_log(settings)
        # The days' local midnights, the runs' logical dates (a bare date would be read as UTC midnight).
        start_at, end_at = (local_midnight(day, settings.local_tz) for day in (first, last))
        args = ["backfill", "create", "--dag-id", DAG_ID, "--from-date", start_at, "--to-date", end_at]
        args += ["--max-active-runs", "1"]  # in order, one day at a time: each builds on the day before
        if airflow(airflow_env(), *args, log=log).returncode != 0:
            raise fail(f"`airflow backfill create` failed; output in {log}:\n{tail(log)}")
        console.print(f"Backfill of {len(days)} days created; follow it: complaints status")
        return
    outcomes = run_range(settings, [(d, d) for d in days], selected(channel), full_refresh, lookback=0)
    _finish(settings, outcomes, first, last)


def _finish(settings: Settings, outcomes: list[tuple[str, bool]], first: dt.date, last: dt.date) -> None:
    if not outcomes:
        return
    from complaints_pipeline import status as status_report

    console.print(status_report.channel_days_table(settings, first, last))
    failed = [label for label, ok in outcomes if not ok]
    if failed:
        raise fail(
            f"{len(failed)} of {len(outcomes)} runs failed: {', '.join(failed)}. Why: complaints status"
            f" {first} {last}; the quarantine: complaints quarantine list --date {first}"
        )


@app.command()
def status(
    start: Annotated[str | None, typer.Argument(help="First landing date (default: the last 7 loaded).")] = None,
    end: Annotated[str | None, typer.Argument(help="Last landing date (default: START).")] = None,
) -> None:
    """What ran: per channel and date, records loaded, quarantined, skipped, blocked or not delivered, and why;
    the surge alerts sent; the on-call notices."""
    from complaints_pipeline import status as status_report

    settings = settings_or_exit()
    if not status_report.has_warehouse(settings):
        raise fail(f"no warehouse yet at {settings.warehouse_name}: nothing has run (complaints run DATE)")
    first, last = status_report.date_range(settings, start and parse_date(start), end and parse_date(end))
    if first is None:
        console.print("Nothing loaded yet.")
        return
    console.print(status_report.channel_days_table(settings, first, last))
    for renderable in status_report.problems(settings, first, last):
        console.print(renderable)
    console.print(status_report.alerts_table(settings, first, last))
    console.print(status_report.oncall_table(settings))


@app.command()
def land(
    files: Annotated[list[Path], typer.Argument(help="Files to land (CSV, EML, MBOX, JSON, JSONL).", exists=True)],
    channel: Annotated[str, typer.Option("--channel", "-c", help="phone, email, web or social.")],
    date: Annotated[str | None, typer.Option("--date", "-d", help="Landing date (default: today).")] = None,
    replace: Annotated[bool, typer.Option(help="Replace a landed file of the same name.")] = False,
) -> None:
    """Copy files into the channel's landing folder for a date, after checking they are files the channel reads
    (its file names, and a parse: records found, records that would be quarantined)."""
    from complaints_pipeline import landing

    settings = settings_or_exit()
    (channel,) = selected([channel])
    day = parse_date(date) if date else dt.date.today()
    try:
        landed = landing.land(settings, channel, day, files, replace=replace)
    except landing.LandingError as wrong:
        raise fail(str(wrong)) from None
    for item in landed:
        console.print(
            f"landed {item.target.relative_to(settings.landing_dir)}: {item.records:,} records"
            + (f", {item.rejected:,} would be quarantined (first: {item.first_reason})" if item.rejected else "")
        )
    console.print(f"Load them: complaints run {day} --channel {channel}")


@app.command()
def generate(
    start: Annotated[str, typer.Argument(help="First date.")],
    end: Annotated[str, typer.Argument(help="Last date.")],
    per_day: Annotated[int, typer.Option(help="New complaints per day, about.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files.")] = 42,
) -> None:
    """Write sample complaints for every channel and day into the landing folder (with ground truth)."""
    from complaints_pipeline import sample_data

    settings = settings_or_exit()
    first, last = parse_date(start), parse_date(end)
    days = (last - first).days + 1
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"Generating into {settings.landing_dir}", total=days)
        generated = sample_data.generate(
            first,
            last,
            settings.landing_dir,
            per_day=per_day,
            seed=seed,
            country=settings.holiday_country,
            local_tz=settings.local_tz,
            on_day=lambda _day: progress.advance(task),
        )
    console.print(
        f"{generated.total:,} records written for {first} to {last}: {generated.total_updates:,} of them updates"
        f" of complaints already registered, {generated.total_bad:,} bad on purpose"
    )


@app.command()
def check() -> None:
    """Configuration, services, ports and keys: each problem in one line with its fix; exit 1 if any."""
    settings = settings_or_exit()
    problems = checks.everything(settings)
    if not problems:
        console.print(f"[green]✓[/] configuration ({mode()} mode), services, ports and keys are fine")
        return
    checks.exit_on_problems(problems)


@app.command("settings")
def show_settings(
    markdown: Annotated[bool, typer.Option(help="The configuration table of docs/configuration.md instead.")] = False,
) -> None:
    """Every setting in effect, with the variable that sets it (the customer key hidden)."""
    from complaints_pipeline.config import env_name, settings_table

    if markdown:
        print(settings_table(), end="")
        return
    settings = settings_or_exit()
    table = Table(title=f"Settings ({mode()} mode)", title_justify="left")
    table.add_column("variable")
    table.add_column("value", overflow="fold")
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        shown = "(set)" if name == "pii_key" else ", ".join(value) if isinstance(value, tuple) else str(value)
        table.add_row(env_name(name), shown)
    console.print(table)


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Days of history.")] = 60,
    per_day: Annotated[int, typer.Option(help="New complaints per day, about.")] = 2000,
    seed: int = 42,
    smtp_port: Annotated[int, typer.Option(help="Port of the loopback SMTP sink.")] = 8025,
    end: Annotated[str | None, typer.Option(help="Last date (default: yesterday).")] = None,
) -> None:
    """`make demo`: check, generate the last DAYS days, run them through Airflow as one run, print the summary."""
    from complaints_pipeline import summary

    os.environ["COMPLAINTS_SMTP_PORT"] = str(smtp_port)
    settings = settings_or_exit()
    checks.exit_on_problems(checks.before_run(settings))
    last = parse_date(end) if end else yesterday(settings)
    first = last - dt.timedelta(days=days - 1)
    generate(first.isoformat(), last.isoformat(), per_day=per_day, seed=seed)
    outcomes = run_range(settings, [(first, last)], list(CHANNELS), full_refresh=False, lookback=7)
    if not all(ok for _, ok in outcomes):
        log = run_log(settings)
        raise fail(f"the demo's run failed; its output is in {log}:\n{tail(log)}")
    print()
    print(summary.render(settings, first, last))  # plain text: a terminal's or a log's width, never wrapped


# ---------------------------------------------------------------- quarantine


@quarantine_app.command("list")
def quarantine_list(
    date: Annotated[str | None, typer.Option("--date", "-d", help="Landing date (default: the last 7 loaded).")] = None,
    channel: Channel = None,
) -> None:
    """Quarantined records per channel, date, file and reason, with counts."""
    from complaints_pipeline import status as status_report

    settings = settings_or_exit()
    day = parse_date(date) if date else None
    console.print(status_report.quarantine_table(settings, day, selected(channel)))


@quarantine_app.command("show")
def quarantine_show(
    channel: Annotated[str, typer.Argument(help="phone, email, web or social.")],
    date: Annotated[str, typer.Argument(help="Landing date.")],
    file: Annotated[str | None, typer.Option(help="Only this landed file (its name).")] = None,
    raw: Annotated[bool, typer.Option(help="Also show each record as it landed (may hold personal data).")] = False,
    limit: int = 20,
) -> None:
    """Each quarantined record of a channel's date: where it was, what failed, the value, the reason."""
    from complaints_pipeline import status as status_report

    settings = settings_or_exit()
    (channel,) = selected([channel])
    console.print(status_report.quarantine_records(settings, channel, parse_date(date), file, raw, limit))


@quarantine_app.command("export")
def quarantine_export(
    channel: Annotated[str, typer.Argument(help="phone, email, web or social.")],
    date: Annotated[str, typer.Argument(help="Landing date.")],
    to: Annotated[Path, typer.Option(help="CSV file to write.")] = Path("quarantine.csv"),
) -> None:
    """A channel's date's quarantined records as CSV (each as it landed, with the reason), to fix them."""
    from complaints_pipeline import status as status_report

    settings = settings_or_exit()
    (channel,) = selected([channel])
    count = status_report.export_quarantine(settings, channel, parse_date(date), to)
    console.print(f"{count:,} quarantined records written to {to}")


@quarantine_app.command("replay")
def quarantine_replay(
    fixed: Annotated[Path, typer.Argument(help="The fixed file, named as the landed one it replaces.", exists=True)],
    channel: Annotated[str, typer.Option("--channel", "-c", help="phone, email, web or social.")],
    date: Annotated[str, typer.Option("--date", "-d", help="Its landing date.")],
) -> None:
    """Replace a landed file by its fixed version (the original kept under $COMPLAINTS_HOME/replaced/), then
    rerun that channel's date: the date is replaced whole, so nothing loads twice."""
    from complaints_pipeline import landing

    settings = settings_or_exit()
    (channel,) = selected([channel])
    day = parse_date(date)
    try:
        (item,) = landing.land(settings, channel, day, [fixed], replace=True, must_replace=True)
    except landing.LandingError as wrong:
        raise fail(str(wrong)) from None
    console.print(
        f"replaced {item.target.relative_to(settings.landing_dir)} (the original kept as {item.kept}): "
        f"{item.records:,} records, {item.rejected:,} would be quarantined"
    )
    checks.exit_on_problems(checks.before_run(settings))
    outcomes = run_range(settings, [(day, day)], [channel], full_refresh=False, lookback=0)
    _finish(settings, outcomes, day, day)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
