"""`make demo`: generate the last 60 days, run complaints_daily through Airflow over them, print a summary.

Uses the embedded defaults only: a DuckDB file, SQLite metadata, an SMTP sink on loopback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from complaints_pipeline import sample_data, smtp_sink, summary
from complaints_pipeline.config import load_settings


def airflow(*args: str, env: dict[str, str], log: Path) -> None:
    """Run an Airflow CLI command, its output appended to log; on failure show the end of it."""
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"\n$ airflow {' '.join(args)}\n")
        handle.flush()
        returncode = subprocess.run(command, env=env, stdout=handle, stderr=subprocess.STDOUT).returncode
    if returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-60:]
        print("\n".join(tail), file=sys.stderr)
        raise SystemExit(f"`airflow {' '.join(args)}` failed with exit code {returncode}; full output in {log}")


def smtp_connection(port: int, sender: str) -> str:
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "extra": {"disable_tls": True, "disable_ssl": True, "from_email": sender, "timeout": 10, "retry_limit": 2},
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--end", type=dt.date.fromisoformat, help="last landing date (default: yesterday)")
    args = parser.parse_args(argv)

    # Misconfiguration is found before any work, in one line each.
    try:
        settings = load_settings()
    except ValueError as wrong:
        raise SystemExit(f"make demo: {wrong}") from None
    try:
        smtp_sink.check_port("127.0.0.1", args.smtp_port)
    except SystemExit as taken:
        raise SystemExit(f"make demo: {taken}") from None
    last = args.end or dt.date.today() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=args.days - 1)
    env = {**os.environ, "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(args.smtp_port, settings.alert_sender)}

    log = settings.home / "logs" / "demo.log"
    log.unlink(missing_ok=True)
    print(f"==> Airflow metadata database in {os.environ.get('AIRFLOW_HOME')} (output in {log})", flush=True)
    airflow("db", "migrate", env=env, log=log)
    airflow("pools", "set", "warehouse", "1", "One writer at a time: the DuckDB warehouse", env=env, log=log)

    print(f"==> Generating sample complaints {first} to {last} into {settings.landing_dir}", flush=True)
    generated = sample_data.generate(
        first,
        last,
        settings.landing_dir,
        per_day=args.per_day,
        seed=args.seed,
        country=settings.holiday_country,
        local_tz=settings.local_tz,
    )
    print(
        f"    {generated.total:,} records written: {generated.total_updates:,} of them updates of complaints"
        f" already registered (answered, resolved, reopened, surveyed), {generated.total_bad:,} bad on purpose",
        flush=True,
    )

    pidfile = settings.home / "run" / "smtp_sink.pid"
    smtp_sink.start_background(settings.mail_dir, args.smtp_port, pidfile)
    try:
        print(f"==> Running complaints_daily through Airflow over {first} to {last} (airflow dags test)", flush=True)
        conf = json.dumps({"start_date": first.isoformat(), "end_date": last.isoformat()})
        started = time.monotonic()
        airflow(
            "dags",
            "test",
            "complaints_daily",
            (last + dt.timedelta(days=1)).isoformat(),
            "--conf",
            conf,
            env=env,
            log=log,
        )
        print(f"    run succeeded in {time.monotonic() - started:.0f} s", flush=True)
    finally:
        smtp_sink.stop_background(pidfile)
    print()
    print(summary.render(settings, first, last))


if __name__ == "__main__":
    main()
