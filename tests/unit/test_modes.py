"""COMPLAINTS_MODE: the one setting between embedded and server mode, for the pipeline and for Airflow."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time

import pytest
from helpers import REPO_ROOT

from complaints_pipeline.config import load_settings
from complaints_pipeline.modes import airflow_env


def test_embedded_mode_is_the_default_a_duckdb_file_and_the_local_executor(monkeypatch) -> None:
    monkeypatch.delenv("COMPLAINTS_MODE", raising=False)
    monkeypatch.setenv("COMPLAINTS_WAREHOUSE_URL", "postgresql://ignored@db/complaints")  # not in embedded mode
    settings = load_settings()
    assert settings.warehouse_kind == "duckdb" and settings.warehouse_url == ""
    env = airflow_env({"AIRFLOW_HOME": "/a"})
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in env  # Airflow's own default: SQLite in AIRFLOW_HOME


def test_server_mode_defaults_to_this_machine_s_postgresql_and_redis(monkeypatch) -> None:
    monkeypatch.setenv("COMPLAINTS_MODE", "server")
    monkeypatch.delenv("COMPLAINTS_WAREHOUSE_URL", raising=False)
    settings = load_settings()
    assert (settings.warehouse_kind, settings.warehouse_url) == (
        "postgres",
        "postgresql://postgres@127.0.0.1:5432/complaints",
    )
    env = airflow_env({"COMPLAINTS_MODE": "server"})
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg2://postgres@127.0.0.1:5432/airflow"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6379/0"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql://postgres@127.0.0.1:5432/airflow"


def test_a_deployment_s_own_settings_win_over_the_mode_s_defaults(monkeypatch) -> None:
    env = airflow_env(
        {
            "COMPLAINTS_MODE": "server",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://af:secret@meta.internal/airflow",
            "AIRFLOW__CELERY__BROKER_URL": "redis://queue.internal:6379/2",
        }
    )
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://queue.internal:6379/2"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql://af:secret@meta.internal/airflow"
    monkeypatch.setenv("COMPLAINTS_MODE", "server")
    monkeypatch.setenv("COMPLAINTS_WAREHOUSE_URL", "postgresql://bi:pw@warehouse.internal:6543/marts")
    settings = load_settings()
    assert settings.warehouse_name == "postgresql://warehouse.internal:6543/marts"  # no password in messages
    monkeypatch.setenv("COMPLAINTS_WAREHOUSE_URL", "duckdb")  # server mode, the DuckDB file kept
    assert load_settings().warehouse_kind == "duckdb"


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("COMPLAINTS_MODE", "cluster", "COMPLAINTS_MODE='cluster': expected one of embedded, server"),
        ("COMPLAINTS_WAREHOUSE_URL", "mysql://db/x", "expected postgresql://user@host:port/database or duckdb"),
    ],
)
def test_a_wrong_setting_fails_saying_what_is_expected(monkeypatch, variable, value, message) -> None:
    monkeypatch.setenv("COMPLAINTS_MODE", "server")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings()


def _bin_airflow(mode: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update({"COMPLAINTS_MODE": mode, "AIRFLOW_HOME": os.environ["AIRFLOW_HOME"]})
    return subprocess.run([REPO_ROOT / "bin" / "airflow", *args], env=env, capture_output=True, text=True)


def test_bin_airflow_runs_airflow_with_the_mode_s_settings() -> None:
    server = _bin_airflow("server", "config", "get-value", "core", "executor")
    assert server.returncode == 0, server.stderr[-2000:]
    assert server.stdout.strip() == "CeleryExecutor"
    embedded = _bin_airflow("embedded", "config", "get-value", "database", "sql_alchemy_conn")
    assert embedded.returncode == 0, embedded.stderr[-2000:]
    assert embedded.stdout.strip().startswith("sqlite:///")
    wrong = _bin_airflow("cluster", "version")
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == "bin/airflow: COMPLAINTS_MODE='cluster': expected one of embedded, server"


def test_airflow_s_sqlite_metadata_waits_for_another_writer_longer_than_the_driver_s_5_s(tmp_path) -> None:
    """The scheduler, dag-processor, api-server and CLI share the SQLite file: a write that meets another
    process's write lock waits for it (`SQLITE_CONNECT_ARGS`), where the driver's default gave up after 5 s
    ("database is locked": a backfill failed to be created once so)."""
    database = tmp_path / "airflow.db"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    environ.update({"COMPLAINTS_MODE": "embedded", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{database}"})
    env = airflow_env(environ)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS"] == "complaints_pipeline.modes.SQLITE_CONNECT_ARGS"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("begin exclusive")
    holder.execute("create table held (x int)")
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from airflow import settings\n"
            "with settings.engine.begin() as c: c.exec_driver_sql('create table written (x int)')\n"
            "print('written')",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(8)  # the writer has imported Airflow and waits on the lock, longer than 5 s
    assert writer.poll() is None, writer.communicate()[1][-2000:]
    holder.execute("commit")
    holder.close()
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0 and out.strip() == "written", err[-2000:]
    with sqlite3.connect(database) as check:
        tables = {name for (name,) in check.execute("select name from sqlite_master where type = 'table'")}
    assert {"held", "written"} <= tables
    # A PostgreSQL metadata database gets no SQLite argument.
    server = airflow_env({"COMPLAINTS_MODE": "server"})
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS" not in server


def test_without_a_configured_key_an_installation_makes_its_own_and_server_mode_refuses(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("COMPLAINTS_PII_KEY")
    monkeypatch.setenv("COMPLAINTS_MODE", "embedded")
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path / "one"))
    first = load_settings().pii_key
    path = tmp_path / "one" / "secrets" / "pii_key"
    assert path.read_text().strip() == first and len(first) == 64 and first != "change-me-in-production"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_settings().pii_key == first  # kept: the same customers keep their keys
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path / "two"))
    assert load_settings().pii_key != first  # another installation, another key: no constant in the code
    monkeypatch.setenv("COMPLAINTS_PII_KEY", "configured")
    assert load_settings().pii_key == "configured"

    monkeypatch.delenv("COMPLAINTS_PII_KEY")
    monkeypatch.setenv("COMPLAINTS_MODE", "server")
    with pytest.raises(ValueError, match="^COMPLAINTS_PII_KEY is not set: server mode needs"):
        load_settings()
