"""One settings object: every setting's default, type and meaning in config.Settings, the documented table
generated from it, and a wrong value told in one line naming the variable."""

from __future__ import annotations

import re

import pytest
from helpers import REPO_ROOT

from complaints_pipeline.config import Settings, load_settings, settings_table


def test_the_configuration_table_in_the_docs_is_the_one_generated_from_the_settings() -> None:
    page = (REPO_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = re.search(r"<!-- settings:begin -->\n(.*?)<!-- settings:end -->", page, re.S)
    assert documented, "docs/configuration.md lost its settings markers"
    assert documented.group(1) == settings_table(), "regenerate it: complaints settings --markdown"


def test_every_setting_has_a_meaning() -> None:
    assert all(field.description for field in Settings.model_fields.values())


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("COMPLAINTS_MAX_QUARANTINED_SHARE", "5%", "COMPLAINTS_MAX_QUARANTINED_SHARE='5%': expected a valid number"),
        ("COMPLAINTS_MAX_QUARANTINED_SHARE", "2", "COMPLAINTS_MAX_QUARANTINED_SHARE='2': expected less than or equal"),
        ("COMPLAINTS_LOCAL_TZ", "Mars/Base", "COMPLAINTS_LOCAL_TZ='Mars/Base': expected an IANA time zone"),
        ("COMPLAINTS_SMTP_PORT", "eighty", "COMPLAINTS_SMTP_PORT='eighty': expected a valid integer"),
        (
            "COMPLAINTS_ONCALL_NOTIFIER_ARGS",
            "{channel: x}",
            "COMPLAINTS_ONCALL_NOTIFIER_ARGS='{channel: x}': expected a JSON",
        ),
        ("COMPLAINTS_MODE", "cluster", "COMPLAINTS_MODE='cluster': expected one of embedded, server"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_variable(monkeypatch, tmp_path, variable, value, message) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as wrong:
        load_settings()
    assert str(wrong.value).startswith(message) and "\n" not in str(wrong.value)


def test_derived_defaults_follow_the_home_and_lists_are_read_from_commas(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    monkeypatch.setenv("COMPLAINTS_ALERT_TO", " a@example.com,b@example.com ")
    monkeypatch.setenv("COMPLAINTS_SERVICE_HANDLES", "AcmeCare, @AcmeHelp")
    monkeypatch.setenv("COMPLAINTS_WAREHOUSE", str(tmp_path / "elsewhere.duckdb"))
    settings = load_settings()
    assert settings.landing_dir == tmp_path / "landing" and settings.mail_dir == tmp_path / "mail"
    assert settings.warehouse_path == tmp_path / "elsewhere.duckdb"
    assert settings.alert_recipients == ("a@example.com", "b@example.com")
    assert settings.service_handles == ("@AcmeCare", "@AcmeHelp")


def test_the_warehouse_connection_keeps_to_the_duckdb_memory_limit(monkeypatch, tmp_path) -> None:
    from complaints_pipeline.warehouse import Connection

    monkeypatch.setenv("COMPLAINTS_HOME", str(tmp_path))
    monkeypatch.setenv("COMPLAINTS_DUCKDB_MEMORY_LIMIT", "300MB")
    with Connection(load_settings()) as con:
        [(limit,)] = con.execute("select current_setting('memory_limit')").fetchall()
    assert limit == "286.1 MiB"  # DuckDB shows 300 MB (10^6 bytes) in MiB
