"""Structural checks of the production-like deployment: docker-compose.yml, Dockerfile, .dockerignore.

No Docker engine is needed: the files are parsed (YAML anchors and merge keys resolved by
``yaml.safe_load``) and checked for the things that break a CeleryExecutor stack silently, such as
services with different JWT secrets, a missing healthcheck a ``depends_on`` waits for, a mount of a
folder that does not exist, or an image whose Airflow differs from the one pinned in requirements.lock.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
LOCK_FILE = REPO_ROOT / "requirements.lock"

AIRFLOW_SERVICES = [
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
]
# Long-running Airflow services: they must wait for airflow-init (DB migrated, pool created).
AIRFLOW_RUNTIME_SERVICES = [s for s in AIRFLOW_SERVICES if s != "airflow-init"]
OTHER_SERVICES = ["postgres", "redis", "mailpit", "superset"]
REQUIRED_SERVICES = OTHER_SERVICES + AIRFLOW_SERVICES

AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker --queues default,warehouse",  # the one worker of the DuckDB queue
    "airflow-triggerer": "triggerer",
}

# host folder -> folder inside the containers
PROJECT_MOUNTS = {
    "./dags": "/opt/airflow/dags",
    "./plugins": "/opt/airflow/plugins",
    "./dbt_project": "/opt/airflow/project/dbt_project",
    "./expectations": "/opt/airflow/project/expectations",
    "./var": "/opt/airflow/project/var",
}
# Created at run time (git-ignored), so it need not exist in the checkout.
RUNTIME_HOST_DIR = "./var"

TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "false",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
}

_DEFAULT_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")
_VARIABLE_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")


# --------------------------------------------------------------------------------------------- helpers


@cache
def compose() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), (
        "docker-compose.yml has no `services:` mapping"
    )
    return data


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"service {name!r} is missing from docker-compose.yml"
    return services[name]


def with_defaults(value: Any) -> str:
    """The value as docker compose would see it with no variables set: ``${X:-d}`` -> ``d``."""
    return _DEFAULT_RE.sub(lambda m: m.group(2) or "", str(value)).replace("$$", "$")


def env(name: str) -> dict[str, str]:
    environment = service(name).get("environment") or {}
    if isinstance(environment, list):  # the `- KEY=value` form
        environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {str(k): "" if v is None else str(v) for k, v in environment.items()}


def depends_on(name: str) -> dict[str, str]:
    deps = service(name).get("depends_on") or {}
    if isinstance(deps, list):  # short form: no condition, i.e. only "started"
        return dict.fromkeys(deps, "service_started")
    return {dep: (spec or {}).get("condition", "service_started") for dep, spec in deps.items()}


def mounts(name: str) -> dict[str, str]:
    """Bind mounts of a service: container path -> host path (named volumes left out)."""
    result = {}
    for volume in service(name).get("volumes") or []:
        if isinstance(volume, dict):
            source, target = volume.get("source", ""), volume.get("target", "")
        else:
            source, target = (with_defaults(volume).split(":") + [""])[:2]
        if source.startswith((".", "/", "~")):
            result[target] = source
    return result


def compose_strings() -> list[str]:
    """Every string in the file (keys and values), as docker compose interpolates them."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            found.append(node)

    walk(compose())
    return found


def compose_variables() -> set[str]:
    """Every variable docker compose interpolates (``$$`` is an escaped ``$``)."""
    return {
        match.group(1) or match.group(2)
        for text in compose_strings()
        for match in _VARIABLE_RE.finditer(text.replace("$$", ""))
    }


def header_comment() -> str:
    lines = []
    for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines)


def pinned_airflow_version() -> str:
    match = re.search(
        r"^apache-airflow==(\S+)\s*$",
        LOCK_FILE.read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert match, "requirements.lock pins no apache-airflow==<version>"
    return match.group(1)


def lock_python_version() -> str:
    match = re.search(r"--python[ =](\d+\.\d+)", LOCK_FILE.read_text(encoding="utf-8"))
    assert match, "requirements.lock's header does not say which --python it was compiled for"
    return match.group(1)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, comments dropped and continuation lines joined."""
    assert DOCKERFILE.is_file(), f"{DOCKERFILE} is missing"
    instructions, pending = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends with a line continuation"
    return instructions


def dockerfile_env() -> dict[str, str]:
    result = {}
    for keyword, args in dockerfile_instructions():
        if keyword == "ENV":
            for item in shlex.split(args):
                key, _, value = item.partition("=")
                result[key] = value
    return result


# --------------------------------------------------------------------------------------------- services


def test_all_required_services_are_present():
    missing = sorted(set(REQUIRED_SERVICES) - set(compose()["services"]))
    assert not missing, f"docker-compose.yml lacks the services {missing}"


def test_the_airflow_services_are_exactly_the_expected_ones():
    built = sorted(n for n, s in compose()["services"].items() if s.get("build") in (".", "./"))
    assert built == sorted(AIRFLOW_SERVICES), (
        f"the services built from ./Dockerfile are {built}, expected exactly {sorted(AIRFLOW_SERVICES)}"
    )


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_service_uses_the_common_image_and_build(name):
    common = compose()["x-airflow-common"]
    spec = service(name)
    build = spec.get("build")
    context = build.get("context") if isinstance(build, dict) else build
    assert context in (".", "./"), f"{name} is not built from the repo's Dockerfile (build: {build!r})"
    assert spec.get("image") == common["image"], (
        f"{name} uses image {spec.get('image')!r}, not the common {common['image']!r}"
    )


@pytest.mark.parametrize("name, command", sorted(AIRFLOW_COMMANDS.items()))
def test_airflow_service_runs_its_component(name, command):
    assert service(name).get("command") == command, (
        f"{name} runs {service(name).get('command')!r}, expected {command!r}"
    )


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_service_runs_celery_with_postgres_and_redis(name):
    variables = env(name)
    executor = variables.get("AIRFLOW__CORE__EXECUTOR")
    assert executor == "CeleryExecutor", f"{name} runs executor {executor!r}, not CeleryExecutor"
    metadata_db = variables.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    assert re.match(r"postgresql(\+psycopg2?)?://[^@]+@postgres(:5432)?/", metadata_db), (
        f"{name}'s metadata DB is {metadata_db!r}, not the postgres service"
    )
    broker = variables.get("AIRFLOW__CELERY__BROKER_URL", "")
    assert re.match(r"redis://[^@]*@?redis(:6379)?/", broker), f"{name}'s Celery broker is {broker!r}, not redis"
    backend = variables.get("AIRFLOW__CELERY__RESULT_BACKEND", "")
    assert re.match(r"db\+postgresql://[^@]+@postgres(:5432)?/", backend), (
        f"{name}'s Celery result backend is {backend!r}, not the postgres service"
    )


@pytest.mark.parametrize("setting", ["AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"])
def test_every_airflow_service_shares_one_secret(setting):
    values = {name: env(name).get(setting) for name in AIRFLOW_SERVICES}
    missing = sorted(name for name, value in values.items() if not value)
    assert not missing, f"{setting} is not set for {missing}: each would make up its own secret"
    assert len(set(values.values())) == 1, f"the Airflow services disagree on {setting}: {values}"
    assert with_defaults(next(iter(values.values()))), f"{setting} has an empty default"


def test_the_jwt_secret_can_be_set_from_airflow_jwt_secret():
    value = env("airflow-apiserver")["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert re.fullmatch(r"\$\{AIRFLOW_JWT_SECRET:\?[^}]+\}", value), (
        f"AIRFLOW__API_AUTH__JWT_SECRET is {value!r}, expected ${{AIRFLOW_JWT_SECRET:?<why it is required>}}"
    )


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_tasks_reach_the_execution_api_on_the_apiserver(name):
    url = env(name).get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "")
    assert re.fullmatch(r"http://airflow-apiserver:8080/execution/?", url), (
        f"{name}'s AIRFLOW__CORE__EXECUTION_API_SERVER_URL is {url!r}, not http://airflow-apiserver:8080/execution/"
    )


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
@pytest.mark.parametrize("variable, expected", sorted(TELEMETRY_OFF.items()))
def test_airflow_service_has_examples_and_telemetry_off(name, variable, expected):
    value = env(name).get(variable)
    assert value is not None and value.lower() == expected, f"{name} sets {variable}={value!r}, expected {expected!r}"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
@pytest.mark.parametrize("dependency", ["postgres", "redis"])
def test_airflow_service_waits_for_healthy_backends(name, dependency):
    condition = depends_on(name).get(dependency)
    assert condition == "service_healthy", (
        f"{name} does not wait for {dependency} to be healthy (depends_on condition: {condition!r})"
    )


@pytest.mark.parametrize("name", AIRFLOW_RUNTIME_SERVICES)
def test_airflow_service_waits_for_airflow_init(name):
    condition = depends_on(name).get("airflow-init")
    assert condition == "service_completed_successfully", (
        f"{name} does not wait for airflow-init to complete successfully (condition: {condition!r})"
    )


def test_every_healthy_condition_has_a_healthcheck():
    for name in compose()["services"]:
        for dependency, condition in depends_on(name).items():
            if condition == "service_healthy":
                assert service(dependency).get("healthcheck"), (
                    f"{name} waits for {dependency} to be healthy, but {dependency} has no healthcheck"
                )


@pytest.mark.parametrize(
    "name",
    ["postgres", "redis", "airflow-apiserver", "mailpit", *AIRFLOW_RUNTIME_SERVICES],
)
def test_service_has_a_healthcheck(name):
    check = service(name).get("healthcheck") or {}
    assert check.get("test"), f"{name} has no healthcheck test"
    assert not check.get("disable"), f"{name}'s healthcheck is disabled"


def test_postgres_is_version_16():
    image = service("postgres").get("image", "")
    assert re.fullmatch(r"postgres:16([.-].*)?", image), f"postgres runs {image!r}, expected postgres:16"


def test_apiserver_publishes_port_8080():
    ports = [str(p) for p in service("airflow-apiserver").get("ports", [])]
    assert any(p.endswith("8080:8080") for p in ports), f"airflow-apiserver publishes {ports}, not 8080:8080"


def test_airflow_init_creates_the_warehouse_pool_with_one_slot():
    command = service("airflow-init").get("command")
    script = "\n".join(command) if isinstance(command, list) else str(command)
    assert re.search(r"airflow pools set warehouse 1\b", script), (
        "airflow-init does not run `airflow pools set warehouse 1 ...`: the DuckDB warehouse needs a 1-slot pool"
    )
    variables = env("airflow-init")
    assert variables.get("_AIRFLOW_DB_MIGRATE", "").lower() == "true", "airflow-init does not migrate the DB"


def test_header_explains_the_single_duckdb_writer():
    header = header_comment().lower()
    assert "production-like" in header, "the header comment does not say this is the production-like deployment"
    assert "duckdb" in header and "warehouse` pool" in header, (
        "the header comment does not explain that DuckDB writes go through the `warehouse` pool"
    )


def test_one_worker_serves_the_duckdb_warehouse_queue():
    """Server mode with the DuckDB file: the writing tasks' queue (modes.writer_args) has exactly one worker."""
    assert env("airflow-worker").get("COMPLAINTS_MODE") == "server"
    assert env("airflow-worker").get("COMPLAINTS_WAREHOUSE_URL") == "duckdb"
    serving = []
    for name, spec in compose()["services"].items():
        command = spec.get("command")
        text = " ".join(command) if isinstance(command, list) else str(command or "")
        match = re.search(r"celery worker.*--queues[ =](\S+)", text)
        if match and "warehouse" in match.group(1).split(","):
            serving.append(name)
    assert serving == ["airflow-worker"], f"services serving the warehouse queue: {serving}"
    assert "celery worker" in str(service("airflow-worker")["command"])


def test_every_dollar_is_a_variable_or_escaped():
    stray = [text for text in compose_strings() if re.search(r"\$(?![{A-Za-z_])", text.replace("$$", ""))]
    assert not stray, f"docker compose rejects these `$` (write $$ for a literal or shell `$`): {stray}"


def test_every_compose_variable_is_documented_in_the_header():
    header = header_comment()
    undocumented = sorted(v for v in compose_variables() if not re.search(rf"\b{re.escape(v)}\b", header))
    assert not undocumented, (
        f"docker-compose.yml interpolates {undocumented} but its header does not document them "
        "(a shell variable in a command must be written $$name)"
    )


# --------------------------------------------------------------------------------------------- mounts


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
@pytest.mark.parametrize("host, target", sorted(PROJECT_MOUNTS.items()))
def test_airflow_service_mounts_the_project_folder(name, host, target):
    bound = mounts(name)
    assert target in bound, f"{name} does not mount anything at {target} (mounts: {bound})"
    assert bound[target].rstrip("/") == host, f"{name} mounts {bound[target]!r} at {target}, expected {host!r}"


def _all_host_paths() -> list[str]:
    return sorted({host for name in compose()["services"] for host in mounts(name).values()})


@pytest.mark.parametrize("host", _all_host_paths())
def test_mounted_host_path_exists_in_the_repo(host):
    assert not host.startswith(("/", "~")), f"{host!r} is an absolute host path; mount paths relative to the repo"
    relative = Path(host)
    if relative.parts and (relative.parts[0] == RUNTIME_HOST_DIR.lstrip("./")):
        pytest.skip(f"{host} is under {RUNTIME_HOST_DIR}, created at run time")
    assert (REPO_ROOT / relative).exists(), f"{host} is mounted but does not exist in the repo ({REPO_ROOT / relative})"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_pipeline_settings_point_at_the_mounted_folders(name):
    variables = env(name)
    bound = mounts(name)
    var_dir = PROJECT_MOUNTS["./var"]
    expected = {
        "COMPLAINTS_HOME": var_dir,
        "COMPLAINTS_DBT_PROJECT_DIR": PROJECT_MOUNTS["./dbt_project"],
        "COMPLAINTS_EXPECTATIONS_DIR": PROJECT_MOUNTS["./expectations"],
        "DBT_PROFILES_DIR": PROJECT_MOUNTS["./dbt_project"],
    }
    for variable, path in expected.items():
        assert variables.get(variable, "").rstrip("/") == path, (
            f"{name} sets {variable}={variables.get(variable)!r}, expected {path!r}"
        )
        assert path in bound, f"{name} sets {variable} to {path}, which is not mounted"
    warehouse = variables.get("COMPLAINTS_WAREHOUSE", "")
    assert warehouse.startswith(var_dir + "/") and warehouse.endswith(".duckdb"), (
        f"{name} sets COMPLAINTS_WAREHOUSE={warehouse!r}, expected a .duckdb file under the mounted {var_dir}"
    )
    for variable in (
        "COMPLAINTS_ALERT_TO",
        "COMPLAINTS_ALERT_FROM",
        "COMPLAINTS_PII_KEY",
        "COMPLAINTS_SMTP_CONN_ID",
    ):
        assert variables.get(variable), f"{name} does not set {variable}"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_dags_and_plugins_stay_at_the_default_paths(name):
    variables = env(name)
    for variable in (
        "AIRFLOW__CORE__DAGS_FOLDER",
        "AIRFLOW__CORE__PLUGINS_FOLDER",
        "AIRFLOW_HOME",
    ):
        assert variable not in variables, f"{name} overrides {variable}; the mounts assume Airflow's defaults"


# --------------------------------------------------------------------------------------------- mail


def test_mailpit_exposes_smtp_and_web_ui():
    spec = service("mailpit")
    assert spec.get("image", "").startswith("axllent/mailpit"), f"mailpit runs {spec.get('image')!r}"
    published = {str(p).rsplit(":", 1)[-1].split("/")[0] for p in spec.get("ports", [])}
    published |= {str(p) for p in spec.get("expose", [])}
    for port in ("1025", "8025"):
        assert port in published, f"mailpit does not expose port {port} (ports: {spec.get('ports')})"


def _smtp_connection(name: str) -> dict[str, Any]:
    variables = env(name)
    conn_id = variables.get("COMPLAINTS_SMTP_CONN_ID", "smtp_default")
    key = f"AIRFLOW_CONN_{conn_id.upper()}"
    assert key in variables, f"{name} has no {key}: connection {conn_id!r} is defined nowhere"
    try:
        return json.loads(with_defaults(variables[key]))
    except json.JSONDecodeError as error:
        pytest.fail(f"{name}'s {key} is not valid JSON with the defaults filled in: {error}")


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_smtp_connection_points_at_mailpit(name):
    conn = _smtp_connection(name)
    assert conn.get("conn_type") == "smtp", f"{name}'s SMTP connection has conn_type {conn.get('conn_type')!r}"
    assert conn.get("host") == "mailpit", f"{name}'s SMTP connection goes to {conn.get('host')!r}, not mailpit"
    assert int(conn.get("port", 0)) == 1025, f"{name}'s SMTP connection uses port {conn.get('port')!r}, not 1025"
    assert not conn.get("login") and not conn.get("password"), f"{name}'s SMTP connection logs in; mailpit needs none"
    extra = conn.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra)
    for flag in ("disable_tls", "disable_ssl"):
        assert extra.get(flag) is True, f"{name}'s SMTP connection does not set extra {flag}: true"


def test_smtp_connection_extras_are_known_to_the_installed_provider():
    try:
        source = metadata.distribution("apache-airflow-providers-smtp").locate_file(
            "airflow/providers/smtp/hooks/smtp.py"
        )
    except metadata.PackageNotFoundError:
        pytest.skip("apache-airflow-providers-smtp is not installed")
    text = Path(str(source)).read_text(encoding="utf-8")
    for key in _smtp_connection("airflow-worker").get("extra") or {}:
        assert f'extra_dejson.get("{key}"' in text, f"the SMTP hook does not read the connection extra {key!r}"


# --------------------------------------------------------------------------------------------- BI

SUPERSET_DIR = REPO_ROOT / "deploy" / "superset"


def test_superset_reads_the_published_marts_read_only():
    spec = service("superset")
    mounts = dict(str(v).split(":", 1) for v in spec.get("volumes", []))
    # The pipeline publishes to $COMPLAINTS_HOME/published; COMPLAINTS_HOME is ./var mounted in the Airflow services.
    assert env("airflow-worker")["COMPLAINTS_HOME"] == PROJECT_MOUNTS["./var"]
    assert mounts.get("./var/published") == "/data/published:ro", f"superset's mounts: {spec.get('volumes')}"
    assert "./var/warehouse" not in mounts and "./var" not in mounts, "superset must not see the warehouse file"
    assert "8088:8088" in spec.get("ports", [])


def test_superset_imports_the_dashboards_on_start_and_keeps_its_data_in_a_volume():
    spec = service("superset")
    mounts = dict(str(v).split(":", 1) for v in spec.get("volumes", []))
    assert mounts.get("./deploy/superset/dashboards") == "/app/dashboards:ro"
    assert mounts.get("superset-home") == "/app/superset_home" and "superset-home" in compose()["volumes"]
    command = "\n".join(spec["command"]) if isinstance(spec["command"], list) else spec["command"]
    lines = [line.strip() for line in command.splitlines()]
    # After the metadata database and roles exist, before the server starts; --overwrite: the files win.
    assert lines.index("superset import-directory /app/dashboards --overwrite") > lines.index("superset init")
    assert "set-database-uri" not in command  # the connection is the bundle's databases/complaint_marts.yaml


def test_superset_image_pins_the_duckdb_that_writes_the_snapshot():
    assert service("superset")["build"] == "./deploy/superset"
    text = (SUPERSET_DIR / "Dockerfile").read_text(encoding="utf-8")
    locked = re.search(r"^duckdb==(\S+)", LOCK_FILE.read_text(encoding="utf-8"), re.M).group(1)
    assert re.search(r"^FROM apache/superset:\d+\.\d+\.\d+$", text, re.M), "the Superset base image is not pinned"
    assert f"duckdb=={locked}" in text.split(), f"the Superset image does not pin duckdb=={locked}"
    assert re.search(r"\bduckdb-engine==\d+\.\d+\.\d+\b", text), "the Superset image does not pin duckdb-engine"
    config = next(v for v in service("superset")["volumes"] if "superset_config.py" in str(v))
    assert (REPO_ROOT / str(config).split(":")[0]).is_file()


# --------------------------------------------------------------------------------------------- image


def test_dockerfile_base_image_matches_the_locked_airflow():
    froms = [args for keyword, args in dockerfile_instructions() if keyword == "FROM"]
    assert len(froms) == 1, f"the Dockerfile has {len(froms)} FROM lines, expected one"
    expected = f"apache/airflow:{pinned_airflow_version()}-python{lock_python_version()}"
    image = froms[0].split()[0]
    assert image == expected, (
        f"the Dockerfile builds FROM {image}, but requirements.lock pins Airflow and Python for {expected}"
    )


def test_dockerfile_installs_requirements_lock_as_airflow_user():
    instructions = dockerfile_instructions()
    copies = [shlex.split(args) for keyword, args in instructions if keyword in ("COPY", "ADD")]
    sources = [part for parts in copies for part in parts[:-1] if not part.startswith("--")]
    assert sources == ["requirements.lock"], f"the Dockerfile copies {sources}; it should copy only requirements.lock"
    destination = copies[0][-1]
    user, installs = "airflow", []
    for keyword, args in instructions:
        if keyword == "USER":
            user = args.split(":")[0]
        elif keyword == "RUN" and "pip install" in args:
            installs.append((user, args))
    assert installs, "the Dockerfile runs no pip install"
    lock_path = (
        destination if destination.endswith("requirements.lock") else f"{destination.rstrip('/')}/requirements.lock"
    )
    for install_user, args in installs:
        assert install_user == "airflow", f"pip install runs as {install_user!r}, not the airflow user"
        assert re.search(rf"-r\s+{re.escape(lock_path)}\b", args) or re.search(r"-r\s+\S*requirements\.lock", args), (
            f"pip install does not install requirements.lock: {args!r}"
        )
        assert "--no-cache-dir" in args, f"pip install keeps its cache in the image: {args!r}"


@pytest.mark.parametrize("variable, expected", sorted(TELEMETRY_OFF.items()))
def test_dockerfile_turns_telemetry_off(variable, expected):
    value = dockerfile_env().get(variable)
    assert value is not None and value.lower() == expected, (
        f"the Dockerfile sets {variable}={value!r}, expected ENV {variable}={expected}"
    )


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: the last pattern matching the path or one of its parents wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            ignored = not negated
    return ignored


@pytest.mark.parametrize(
    "path, ignored",
    [
        ("requirements.lock", False),
        ("var/warehouse/complaints.duckdb", True),
        (".venv/bin/python", True),
        (".git/HEAD", True),
        ("dags/complaints.py", True),
    ],
)
def test_dockerignore_keeps_the_build_context_to_requirements_lock(path, ignored):
    assert DOCKERIGNORE.is_file(), f"{DOCKERIGNORE} is missing: the whole repo (var/, .venv/) would be sent to Docker"
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    state = "excluded from" if ignored else "kept in"
    assert _ignored(path, patterns) == ignored, f"{path} should be {state} the build context by .dockerignore"


# --------------------------------------------------------------------------------------------- secrets

# Every password and secret of the stack: required (${NAME:?...}), generated by `make compose-secrets`.
REQUIRED_SECRETS = {
    "POSTGRES_PASSWORD",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_FERNET_KEY",
    "_AIRFLOW_WWW_USER_PASSWORD",
    "SUPERSET_SECRET_KEY",
    "SUPERSET_PASSWORD",
    "COMPLAINTS_PII_KEY",
}
_REQUIRED_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?[^}]+\}")
_DEFAULTED_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}]*)\}")


def test_no_password_or_secret_has_a_default():
    """docker compose refuses to start without each: no stack runs on a password in this public file."""
    texts = compose_strings()
    required = {m.group(1) for text in texts for m in _REQUIRED_RE.finditer(text)}
    defaulted = {m.group(1) for text in texts for m in _DEFAULTED_RE.finditer(text)}
    assert required == REQUIRED_SECRETS
    assert not (defaulted & REQUIRED_SECRETS)
    assert not [name for name in defaulted if re.search(r"PASSWORD|SECRET|KEY|TOKEN", name)]
    # No literal password left anywhere: postgres, the connection strings, Superset's admin.
    for text in texts:
        assert not re.search(r"://[^:/@\s]+:(?!\$\{)[^@\s]+@", text), text
        assert "airflow:airflow" not in text and "admin / admin" not in text


def test_mailpit_listens_on_localhost_unless_configured():
    ports = [str(p) for p in service("mailpit").get("ports", [])]
    assert ports and all(p.startswith("${MAILPIT_BIND_ADDRESS:-127.0.0.1}:") for p in ports), ports


def test_compose_secrets_generates_what_is_missing_keeps_what_is_set_and_writes_owner_only(tmp_path):
    import importlib.util
    import stat

    spec = importlib.util.spec_from_file_location("compose_secrets", REPO_ROOT / "deploy" / "compose_secrets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    env_file = tmp_path / ".env"
    env_file.write_text("POSTGRES_PASSWORD=mine\n# a comment\n", encoding="utf-8")
    added = module.write_missing(env_file, {"SUPERSET_PASSWORD": "from-the-environment"})
    values = module.existing(env_file)
    assert set(added) == REQUIRED_SECRETS - {"POSTGRES_PASSWORD", "SUPERSET_PASSWORD"}
    assert values["POSTGRES_PASSWORD"] == "mine" and "SUPERSET_PASSWORD" not in values
    assert all(len(values[name]) >= 24 for name in added)
    assert len({values[name] for name in added}) == len(added)  # each its own
    import base64

    assert len(base64.urlsafe_b64decode(values["AIRFLOW_FERNET_KEY"])) == 32
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    # A second run changes nothing.
    before = env_file.read_text(encoding="utf-8")
    assert module.write_missing(env_file, {"SUPERSET_PASSWORD": "x"}) == []
    assert env_file.read_text(encoding="utf-8") == before


def _pins(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(encoding="utf-8"), re.M))


def test_the_image_gets_what_runs_in_production_at_the_versions_developers_test():
    """requirements.lock (the image's) holds no test or lint tool, and pins every package as requirements-dev.lock
    (make setup's) does: what CI tests is what the image runs."""
    runtime, dev = _pins(LOCK_FILE), _pins(REPO_ROOT / "requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
    assert not {"pytest", "pytest-xdist", "ruff", "sqlfluff", "sqlfluff-templater-dbt"} & set(runtime)
    assert {"apache-airflow", "dbt-core", "great-expectations", "typer", "pydantic-settings", "aiosmtpd"} <= set(
        runtime
    )
