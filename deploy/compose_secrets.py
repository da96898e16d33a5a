"""Write the compose deployment's missing secrets into .env, at random: `make compose-secrets`.

docker-compose.yml has no default password or secret: it refuses to start until each is set. This makes
the missing ones (and AIRFLOW_UID, so files written to ./var stay the user's), keeps every value already
in .env or in the environment as it is, writes .env readable by its owner only, and says what it did,
naming the variables, never printing a value. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

# name -> how to make one
SECRETS = {
    "POSTGRES_PASSWORD": lambda: secrets.token_urlsafe(24),
    "AIRFLOW_JWT_SECRET": lambda: secrets.token_urlsafe(48),
    "AIRFLOW_API_SECRET_KEY": lambda: secrets.token_urlsafe(48),
    # Airflow's Fernet key: 32 random bytes, URL-safe base64 (what Fernet.generate_key() returns).
    "AIRFLOW_FERNET_KEY": lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "_AIRFLOW_WWW_USER_PASSWORD": lambda: secrets.token_urlsafe(18),
    "SUPERSET_SECRET_KEY": lambda: secrets.token_urlsafe(48),
    "SUPERSET_PASSWORD": lambda: secrets.token_urlsafe(18),
    "COMPLAINTS_PII_KEY": lambda: secrets.token_urlsafe(48),
}


def existing(env_file: Path) -> dict[str, str]:
    values = {}
    if env_file.exists():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.lstrip().startswith("#"):
                values[name.strip()] = value.strip()
    return values


def write_missing(env_file: Path, environ: dict[str, str]) -> list[str]:
    """The names of the secrets added to env_file (created owner-only when absent)."""
    have = existing(env_file)
    wanted = {name: make for name, make in SECRETS.items() if not have.get(name) and not environ.get(name)}
    lines = [f"{name}={make()}" for name, make in wanted.items()]
    if "AIRFLOW_UID" not in have and "AIRFLOW_UID" not in environ and hasattr(os, "getuid"):
        lines.append(f"AIRFLOW_UID={os.getuid()}")
    if lines:
        text = env_file.read_text(encoding="utf-8") if env_file.exists() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        descriptor = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text + "\n".join(lines) + "\n")
    if env_file.exists():
        os.chmod(env_file, 0o600)  # an existing .env holding secrets is made owner-only too
    return list(wanted)


def main() -> int:
    env_file = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    added = write_missing(env_file, dict(os.environ))
    if added:
        print(f"Wrote {len(added)} new secrets to {env_file} (owner-only): {', '.join(added)}")
        print("Keep the file; COMPLAINTS_PII_KEY above all (another key re-keys every customer).")
    else:
        print(f"Every secret is already set ({env_file} or the environment): nothing written.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
