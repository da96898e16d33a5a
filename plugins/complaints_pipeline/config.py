"""Settings read from the environment, with embedded defaults rooted in the checkout.

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
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value else default


MODES = ("embedded", "server")
DEFAULT_SERVER_WAREHOUSE_URL = "postgresql://postgres@127.0.0.1:5432/complaints"


def mode(environ: dict[str, str] | None = None) -> str:
    """COMPLAINTS_MODE of this process's environment, or of the given one."""
    value = ((os.environ if environ is None else environ).get("COMPLAINTS_MODE") or "embedded").strip().lower()
    if value not in MODES:
        raise ValueError(f"COMPLAINTS_MODE={value!r}: expected one of {', '.join(MODES)}")
    return value


def addresses(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.split(",") if a.strip())


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_dir: Path
    staging_dir: Path
    warehouse_path: Path  # the DuckDB file (embedded mode)
    dbt_project_dir: Path
    expectations_dir: Path
    mail_dir: Path
    published_dir: Path
    local_tz: str
    holiday_country: str
    pii_key: str
    alert_recipients: tuple[str, ...]
    alert_sender: str
    smtp_conn_id: str
    oncall_recipients: tuple[str, ...] = ("data-oncall@example.com",)
    dashboard_url: str = ""
    data_docs_url: str = ""
    max_quarantined_share: float = 0.05
    warehouse_url: str = ""  # the PostgreSQL warehouse (server mode); empty: the DuckDB file
    # The service's own mailboxes: their replies in a complaint's thread are its responses.
    service_mailboxes: tuple[str, ...] = ("complaints@acme.example.com",)
    # The service's own social handles: kept in posts' texts, where every other @handle is masked.
    service_handles: tuple[str, ...] = ("@AcmeCare",)
    # Public holidays are days off: the country's, and a subdivision's (a state, a province) where given.
    holiday_subdivision: str = ""

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


def dbt_target_env(settings: Settings) -> dict[str, str]:
    """The variables dbt reads: the target of the configured warehouse and where it is (profiles.yml), and the
    calendar's country (dbt_project.yml), so dbt and the loader that wrote raw.public_holidays agree."""
    calendar = {
        "COMPLAINTS_HOLIDAY_COUNTRY": settings.holiday_country,
        "COMPLAINTS_HOLIDAY_SUBDIVISION": settings.holiday_subdivision,
    }
    if settings.warehouse_kind == "duckdb":
        return {"COMPLAINTS_DBT_TARGET": "duckdb", "COMPLAINTS_WAREHOUSE": str(settings.warehouse_path)} | calendar
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
    """Read the settings now (not at import), so tests can point them at temporary folders."""
    home = Path(_env("COMPLAINTS_HOME", str(PROJECT_ROOT / "var")))
    return Settings(
        home=home,
        landing_dir=Path(_env("COMPLAINTS_LANDING_DIR", str(home / "landing"))),
        staging_dir=Path(_env("COMPLAINTS_STAGING_DIR", str(home / "staging"))),
        warehouse_path=Path(_env("COMPLAINTS_WAREHOUSE", str(home / "warehouse" / "complaints.duckdb"))),
        dbt_project_dir=Path(_env("COMPLAINTS_DBT_PROJECT_DIR", str(PROJECT_ROOT / "dbt_project"))),
        expectations_dir=Path(_env("COMPLAINTS_EXPECTATIONS_DIR", str(PROJECT_ROOT / "expectations"))),
        mail_dir=Path(_env("COMPLAINTS_MAIL_DIR", str(home / "mail"))),
        published_dir=Path(_env("COMPLAINTS_PUBLISHED_DIR", str(home / "published"))),
        local_tz=_env("COMPLAINTS_LOCAL_TZ", "Asia/Shanghai"),
        holiday_country=_env("COMPLAINTS_HOLIDAY_COUNTRY", "CN"),
        holiday_subdivision=_env("COMPLAINTS_HOLIDAY_SUBDIVISION", ""),
        pii_key=pii_key(home),
        alert_recipients=addresses(_env("COMPLAINTS_ALERT_TO", "service-managers@example.com")),
        oncall_recipients=addresses(_env("COMPLAINTS_ONCALL_TO", "data-oncall@example.com")),
        dashboard_url=_env("COMPLAINTS_DASHBOARD_URL", ""),
        data_docs_url=_env("COMPLAINTS_DATA_DOCS_URL", ""),
        alert_sender=_env("COMPLAINTS_ALERT_FROM", "complaints-pipeline@example.com"),
        smtp_conn_id=_env("COMPLAINTS_SMTP_CONN_ID", "smtp_default"),
        max_quarantined_share=float(_env("COMPLAINTS_MAX_QUARANTINED_SHARE", "0.05")),
        warehouse_url=_warehouse_url(),
        service_mailboxes=tuple(
            a.lower() for a in addresses(_env("COMPLAINTS_SERVICE_MAILBOXES", "complaints@acme.example.com"))
        ),
        service_handles=tuple(
            h if h.startswith("@") else f"@{h}" for h in addresses(_env("COMPLAINTS_SERVICE_HANDLES", "@AcmeCare"))
        ),
    )


def pii_key(home: Path) -> str:
    """The secret that keys customer pseudonyms: COMPLAINTS_PII_KEY, else (embedded mode) the installation's
    own, made at random on first use in COMPLAINTS_HOME/secrets/pii_key (owner-only). Server mode has no
    fallback: every worker must use the deployment's one key."""
    configured = os.environ.get("COMPLAINTS_PII_KEY", "").strip()
    if configured:
        return configured
    if mode() == "server":
        raise ValueError(
            "COMPLAINTS_PII_KEY is not set: server mode needs the deployment's secret for customer keys"
            " (README: COMPLAINTS_PII_KEY)"
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


def _warehouse_url() -> str:
    """The PostgreSQL warehouse's URL, or "" for the DuckDB file (embedded mode, or server mode with
    COMPLAINTS_WAREHOUSE_URL=duckdb)."""
    if mode() == "embedded":
        return ""
    url = _env("COMPLAINTS_WAREHOUSE_URL", DEFAULT_SERVER_WAREHOUSE_URL)
    if url == "duckdb":
        return ""
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"COMPLAINTS_WAREHOUSE_URL={url!r}: expected postgresql://user@host:port/database or duckdb")
    return url
