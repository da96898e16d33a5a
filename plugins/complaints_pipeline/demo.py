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
from pathlib import Path

from complaints_pipeline import sample_data, smtp_sink, summary
from complaints_pipeline.config import load_settings


def airflow(*args: str, env: dict[str, str]) -> None:
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    result = subprocess.run(command, env=env)
    if result.returncode != 0:
        raise SystemExit(f"`airflow {' '.join(args)}` failed with exit code {result.returncode}")


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

    settings = load_settings()
    last = args.end or dt.date.today() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=args.days - 1)
    env = {**os.environ, "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(args.smtp_port, settings.alert_sender)}

    print(f"==> Airflow metadata database in {os.environ.get('AIRFLOW_HOME')}", flush=True)
    airflow("db", "migrate", env=env)
    airflow("pools", "set", "warehouse", "1", "One writer at a time: the DuckDB warehouse", env=env)

    print(f"==> Generating sample complaints {first} to {last} into {settings.landing_dir}", flush=True)
    sample_data.generate(
        first,
        last,
        settings.landing_dir,
        per_day=args.per_day,
        seed=args.seed,
        country=settings.holiday_country,
        local_tz=settings.local_tz,
    )

    pidfile = settings.home / "run" / "smtp_sink.pid"
    smtp_sink.start_background(settings.mail_dir, args.smtp_port, pidfile)
    try:
        print("==> Running complaints_daily through Airflow (airflow dags test)", flush=True)
        conf = json.dumps({"start_date": first.isoformat(), "end_date": last.isoformat()})
        airflow("dags", "test", "complaints_daily", (last + dt.timedelta(days=1)).isoformat(), "--conf", conf, env=env)
    finally:
        smtp_sink.stop_background(pidfile)
    print()
    print(summary.render(settings, first, last))


if __name__ == "__main__":
    main()
