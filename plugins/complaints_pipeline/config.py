"""Settings: one object holding every setting, read from the environment (COMPLAINTS_*), with embedded defaults
rooted in the checkout.

Every path the pipeline writes lives under ``COMPLAINTS_HOME`` (default: ``var/`` in the checkout).

``COMPLAINTS_MODE`` is the one switch between the two ways to run it (see ``modes.py`` for Airflow's side):
- ``embedded`` (default): the warehouse is the DuckDB file ``COMPLAINTS_WAREHOUSE``;
- ``server``: the warehouse is the PostgreSQL database ``COMPLAINTS_WAREHOUSE_URL`` (default
  ``postgresql://postgres@127.0.0.1:5432/complaints``).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, field_validator
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


MODES = ("embedded", "server")
DEFAULT_SERVER_WAREHOUSE_URL = "postgresql://postgres@127.0.0.1:5432/complaints"
DEFAULT_TZ = "Asia/Shanghai"
# Telemetry off, for every process of the project (Airflow, cosmos, dbt, Great Expectations): users' data stays
# theirs, and this project's machines reach no analytics host. The Makefile and the Dockerfile repeat it for
# processes started before Python.
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "SCARF_ANALYTICS": "false",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "GX_ANALYTICS_ENABLED": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}


def mode(environ: dict[str, str] | None = None) -> str:
    """COMPLAINTS_MODE of this process's environment, or of the given one."""
    value = ((os.environ if environ is None else environ).get("COMPLAINTS_MODE") or "embedded").strip().lower()
    if value not in MODES:
        raise ValueError(f"COMPLAINTS_MODE={value!r}: expected one of {', '.join(MODES)}")
    return value


def addresses(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.split(",") if a.strip())


def _list(value: object) -> object:
    """A comma-separated setting as a tuple (the environment holds text; code may pass a tuple)."""
    return addresses(value) if isinstance(value, str) else value


Addresses = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_list)]


def _setting(
    default: Any = PydanticUndefined,
    *,
    env: str | None = None,
    shown: str | None = None,
    overridable: bool = False,
    **kwargs,
) -> Any:
    """A field of Settings: env names its variable when it is not COMPLAINTS_<FIELD>; shown is the default as the
    configuration table shows it (for a default derived from another setting)."""
    extra = {k: v for k, v in (("env", env), ("shown", shown), ("overridable", overridable)) if v}
    return Field(default, validation_alias=env, json_schema_extra=extra or None, **kwargs)


def airflow_variable(name: str) -> str | None:
    """The Airflow variable that overrides the setting at run time, if one does."""
    extra = Settings.model_fields[name].json_schema_extra or {}
    return f"complaints_{name}" if extra.get("overridable") else None


def _overridable(default: Any, *, env: str | None = None, description: str) -> Any:
    """A setting the Airflow variable complaints_<field> overrides at run time, where it is set (airflow_variable,
    alerts.at_run_time): what an operator changes without a deployment."""
    return _setting(default, env=env, overridable=True, description=description)


def _in_home(*parts: str, env: str | None = None, description: str) -> Any:
    """A path under COMPLAINTS_HOME by default."""
    return _setting(
        default_factory=lambda s: s["home"].joinpath(*parts),
        env=env,
        shown="$COMPLAINTS_HOME/" + "/".join(parts),
        description=description,
    )


class Settings(BaseSettings):
    """Every setting of the pipeline, read from COMPLAINTS_* environment variables (load_settings), with its default
    and meaning: the configuration table in docs/configuration.md is generated from this class."""

    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", frozen=True, extra="ignore", env_ignore_empty=True)

    mode: Literal["embedded", "server"] = _setting(
        "embedded", description="`embedded` or `server`: see docs/server-mode.md"
    )
    home: Path = _setting(PROJECT_ROOT / "var", shown="var/", description="root of everything a run writes")
    landing_dir: Path = _in_home("landing", description="where exports land: <channel>/<YYYY-MM-DD>/<files>")
    staging_dir: Path = _in_home(
        "staging", description="validated rows, quarantine and skips per channel and date, before the load (Parquet)"
    )
    warehouse_path: Path = _in_home(
        "warehouse", "complaints.duckdb", env="COMPLAINTS_WAREHOUSE", description="the DuckDB warehouse file"
    )
    warehouse_url: str = _setting(
        default_factory=lambda s: DEFAULT_SERVER_WAREHOUSE_URL if s["mode"] == "server" else "",
        shown=f"server mode: `{DEFAULT_SERVER_WAREHOUSE_URL}`",
        description="the PostgreSQL warehouse; `duckdb` keeps the DuckDB file in server mode",
    )
    warehouse_queue: str = _setting(
        "warehouse", description="the Celery queue of the tasks that write a DuckDB warehouse (one worker serves it)"
    )
    dbt_project_dir: Path = _setting(PROJECT_ROOT / "dbt_project", shown="dbt_project/", description="the dbt project")
    expectations_dir: Path = _setting(
        PROJECT_ROOT / "expectations", shown="expectations/", description="the Great Expectations suites"
    )
    mail_dir: Path = _in_home(
        "mail", description="where the loopback SMTP sink keeps the mail it receives (embedded mode)"
    )
    published_dir: Path = _in_home("published", description="where the marts for BI tools are published")
    data_docs_assets: Path = _setting(
        PROJECT_ROOT / "node_modules",
        shown="node_modules/",
        description="the npm packages Data Docs' pages load their scripts and styles from (package-lock.json)",
    )
    local_tz: str = _setting(DEFAULT_TZ, description="time zone of the exports and of the business day (IANA name)")
    holiday_country: str = _setting(
        "CN",
        description="whose public holidays are days off (ISO code of the `holidays` package: `US`, `GB`, `DE`, ...)",
    )
    holiday_subdivision: str = _setting(
        "", description="a subdivision's holidays too (a US state such as `TX`, a province), in `holidays` codes"
    )
    pii_key: str = _setting(
        default_factory=lambda s: _installation_key(s["home"], s["mode"]),
        shown="embedded: made at random in `$COMPLAINTS_HOME/secrets/pii_key`; server: none (required)",
        description="the secret of the HMAC that pseudonymises customers",
        repr=False,
    )
    service_mailboxes: Addresses = _setting(
        ("complaints@acme.example.com",),
        description="the service's own mail addresses: their replies in a thread are responses, not complaints",
    )
    service_handles: Addresses = _setting(
        ("@AcmeCare",), description="the service's own social handles, kept in posts' texts where others are masked"
    )
    alert_recipients: Addresses = _overridable(
        ("service-managers@example.com",), env="COMPLAINTS_ALERT_TO", description="who gets the surge alerts"
    )
    critical_recipients: Addresses = _overridable(
        ("service-managers@example.com",),
        env="COMPLAINTS_CRITICAL_TO",
        description="who gets the fast lane's email of each critical complaint (safety, injury, legal, media, ...)",
    )
    critical_lookback_hours: float = _setting(
        24,
        gt=0,
        description="a critical complaint received longer ago than this when first loaded (a backfill) is logged,"
        " not emailed",
    )
    intraday_minutes: int = _setting(
        10, ge=1, le=720, description="the intraday run's schedule: every this many minutes, from midnight"
    )
    alert_sender: str = _setting(
        "complaints-pipeline@example.com",
        env="COMPLAINTS_ALERT_FROM",
        description="the alerts' sender, when the SMTP connection's `from_email` does not say",
    )
    oncall_recipients: Addresses = _overridable(
        ("data-oncall@example.com",), env="COMPLAINTS_ONCALL_TO", description="who hears of a failed task or run"
    )
    oncall_notifier: str = _setting(
        "",
        description="an Airflow notifier class (dotted path) that also tells the on-call person, not through the relay",
    )
    oncall_notifier_args: dict[str, Any] = _setting(
        default_factory=dict, description="the notifier's keyword arguments, a JSON object"
    )
    dashboard_url: str = _overridable("", description="link in the alert email")
    data_docs_url: str = _overridable("", description="link in the alert email")
    report_url: str = _overridable(
        "",
        description="where the reports folder is served (ending in /): alerts link the run's report there",
    )
    report_language: Literal["en", "zh"] = _setting(
        "en", description="`en` or `zh`: the language of the report's and the alert email's labels (seed display_names)"
    )
    reports_kept: int = _setting(
        60, ge=1, description="run reports kept in `published/reports` (the newest; `latest.html` is always there)"
    )
    alert_lookback_days: int = _setting(
        3, ge=0, description="an alert for a date older than this many days before today (a backfill) is historical"
    )
    historical_alerts: Literal["each", "digest"] = _setting(
        "each",
        description="a backfill's alerts: `each` date its own email, `historical` in its subject; `digest`: one email",
    )
    smtp_conn_id: str = _setting("smtp_default", description="the Airflow connection mail is sent through")
    smtp_port: int = _setting(
        8025, ge=1, le=65535, description="the loopback SMTP sink's port (embedded mode, no SMTP connection set)"
    )
    max_quarantined_share: float = _setting(
        0.05,
        ge=0,
        le=1,
        description="a channel's day whose quarantined share is significantly above this is blocked",
    )
    duckdb_memory_limit: str = _setting(
        "1GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="the memory DuckDB may use in each process that writes the warehouse (the load, dbt) before it"
        " spills to disk: at a million complaints a day the load peaked at 3.4 GiB without it, 1.6 GiB with 1GB",
    )
    dbt_tasks: Literal["nodes", "build"] = _setting(
        "nodes",
        description="how complaints_daily runs dbt: `nodes`, cosmos's watcher (one `dbt build`, and a task per model,"
        " model's tests and seed that shows its result and, retried, runs it alone; about 1.5 s of Airflow per"
        " node under a scheduler); `build`, one task that runs `dbt build` (a retry runs the whole build)",
    )
    retry_delay_seconds: float = _setting(
        60, gt=0, description="a failed task's first wait; each later one doubles (Airflow adds up to as much again)"
    )

    @field_validator("service_mailboxes")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(a.lower() for a in value)

    @field_validator("service_handles")
    @classmethod
    def _at(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(h if h.startswith("@") else f"@{h}" for h in value)

    @field_validator("local_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Asia/Shanghai or Europe/London") from None
        return value

    @field_validator("warehouse_url")
    @classmethod
    def _url(cls, value: str, info) -> str:
        if info.data.get("mode") != "server" or value == "duckdb":
            return ""
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("expected postgresql://user@host:port/database or duckdb")
        return value

    @property
    def warehouse_kind(self) -> str:
        """duckdb or postgres: the dbt target, and the SQL dialect of the warehouse's connection."""
        return "postgres" if self.warehouse_url else "duckdb"

    @property
    def warehouse_name(self) -> str:
        """Where the warehouse is, for messages (no password)."""
        if not self.warehouse_url:
            return str(self.warehouse_path)
        from urllib.parse import urlsplit

        url = urlsplit(self.warehouse_url)
        return f"postgresql://{url.hostname}:{url.port or 5432}{url.path}"

    @property
    def ground_truth_dir(self) -> Path:
        return self.landing_dir / "_ground_truth"


def env_name(field: str) -> str:
    extra = Settings.model_fields[field].json_schema_extra or {}
    return extra.get("env") or f"COMPLAINTS_{field.upper()}"


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    name = next((f for f in Settings.model_fields if field in (f, env_name(f))), field)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "literal_error":
        message = "expected one of " + ", ".join(first["ctx"]["expected"].replace("'", "").split(" or "))
    elif message.startswith("Input should be "):
        message = "expected " + message.removeprefix("Input should be ")
    return f"{env_name(name)}={first.get('input')!r}: {message}"


def dbt_target_env(settings: Settings) -> dict[str, str]:
    """The variables dbt reads: the target of the configured warehouse and where it is (profiles.yml), and the
    business calendar (dbt_project.yml's vars), all derived from the settings."""
    calendar = {
        "COMPLAINTS_LOCAL_TZ": settings.local_tz,
        "COMPLAINTS_HOLIDAY_COUNTRY": settings.holiday_country,
        "COMPLAINTS_HOLIDAY_SUBDIVISION": settings.holiday_subdivision,
    }
    if settings.warehouse_kind == "duckdb":
        return {
            "COMPLAINTS_DBT_TARGET": "duckdb",
            "COMPLAINTS_WAREHOUSE": str(settings.warehouse_path),
            "COMPLAINTS_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        } | calendar
    from urllib.parse import unquote, urlsplit

    url = urlsplit(settings.warehouse_url)
    return {
        "COMPLAINTS_DBT_TARGET": "postgres",
        "COMPLAINTS_PG_HOST": url.hostname or "127.0.0.1",
        "COMPLAINTS_PG_PORT": str(url.port or 5432),
        "COMPLAINTS_PG_USER": unquote(url.username or "postgres"),
        "COMPLAINTS_PG_PASSWORD": unquote(url.password or ""),
        "COMPLAINTS_PG_DATABASE": url.path.lstrip("/") or "complaints",
    } | calendar


def load_settings() -> Settings:
    """Read the settings now (not at import), so tests can point them at temporary folders. A wrong value is a
    ValueError in one line naming the variable and what is expected."""
    mode()  # COMPLAINTS_MODE first: the other defaults depend on it
    try:
        return Settings()
    except ValidationError as wrong:
        raise ValueError(_one_line(wrong)) from None
    except SettingsError as unreadable:  # a JSON setting that is not JSON
        field = str(unreadable).split('"')[1] if '"' in str(unreadable) else ""
        name = env_name(field) if field in Settings.model_fields else "a COMPLAINTS_ setting"
        raise ValueError(f"{name}={os.environ.get(name, '')!r}: expected a JSON object") from None


def settings_table() -> str:
    """The configuration table (Markdown) of docs/configuration.md, from Settings."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra or {}
        if "shown" in extra:
            default = extra["shown"] if extra["shown"].startswith(("server", "embedded")) else f"`{extra['shown']}`"
        elif field.default_factory is not None:
            default = "none"
        elif isinstance(field.default, tuple):
            default = f"`{','.join(field.default)}`"
        else:
            default = f"`{field.default}`" if field.default not in ("", None) else "none"
        variable = airflow_variable(name)
        overridden = f"; the Airflow variable `{variable}` overrides it" if variable else ""
        rows.append(f"| `{env_name(name)}` | {default} | {field.description}{overridden} |")
    return "\n".join(rows) + "\n"


def _installation_key(home: Path, mode_name: str) -> str:
    """The secret that keys customer pseudonyms when COMPLAINTS_PII_KEY is not set: (embedded mode) the
    installation's own, made at random on first use in COMPLAINTS_HOME/secrets/pii_key (owner-only). Server mode
    has no fallback: every worker must use the deployment's one key."""
    if mode_name == "server":
        raise ValueError(
            "COMPLAINTS_PII_KEY is not set: server mode needs the deployment's secret for customer keys"
            " (docs/configuration.md: COMPLAINTS_PII_KEY)"
        )
    path = home / "secrets" / "pii_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = path.with_name(f".pii_key.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)  # whole or not at all; a process that made one first keeps its key
            log.warning(
                "COMPLAINTS_PII_KEY is not set: customer keys use this installation's own random key, made now in %s"
                " (keep it: another key gives every customer another key)",
                path,
            )
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


if __name__ == "__main__":
    print(settings_table(), end="")
