"""`make demo` is `complaints demo` (cli.py): check, generate the last 60 days, run them through Airflow, summarise.

Uses the embedded defaults only: a DuckDB file, SQLite metadata, an SMTP sink on loopback.
"""

from __future__ import annotations

import json
import sys


def smtp_connection(port: int, sender: str) -> str:
    """Airflow's SMTP connection (AIRFLOW_CONN_SMTP_DEFAULT) to the loopback sink on port."""
    return json.dumps(
        {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "extra": {"disable_tls": True, "disable_ssl": True, "from_email": sender, "timeout": 10, "retry_limit": 2},
        }
    )


def main(argv: list[str] | None = None) -> None:
    from complaints_pipeline.cli import app

    app(["demo", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
