# The two commands of the quick start: `make demo` and `make test`. Everything else is what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Embedded defaults: everything a run writes lives under var/ (ignored by git).
export COMPLAINTS_HOME ?= $(CURDIR)/var
export AIRFLOW_HOME ?= $(COMPLAINTS_HOME)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export PYTHONPATH := $(CURDIR)/plugins
# No telemetry: this machine has no internet, and users' data stays theirs.
export DO_NOT_TRACK := 1
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export SCARF_ANALYTICS := false
export AIRFLOW__USAGE_DATA_COLLECTION__ENABLED := False
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export TQDM_DISABLE := 1
SMTP_PORT ?= 8025

.PHONY: demo test test-fast setup browser lint clean privacy-scan compose-secrets

## One command: set up, generate 60 days, run complaints_daily through Airflow, print the summary.
demo: setup
	$(BIN)/complaints demo --smtp-port $(SMTP_PORT)

## The other: install what the tests need and run the whole suite (CI runs exactly this). Each test file runs
## whole on one worker (its module fixtures are shared by its tests); three workers on two cores, as the
## end-to-end tests wait on Airflow's schedulers and sensors a good part of the time (two left a fifth of the
## CPU idle).
test: setup browser lint
	$(BIN)/python -m pytest -n 3 --dist loadfile

## The inner loop: pure tests and single-stage tests (no Airflow run, no server, no benchmark), about 2 minutes.
test-fast: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not e2e and not server and not benchmark and not slow"

## Search everything published (marts, snapshot, emails, Data Docs, logs) for the landed files' identities.
privacy-scan: setup
	$(BIN)/python -m complaints_pipeline.privacy_scan

## The compose deployment's passwords and secrets, generated into .env where missing (docker-compose.yml).
compose-secrets:
	$(PYTHON) deploy/compose_secrets.py .env

setup: $(STAMP)

## Headless Chromium (Debian's package), in which the tests open the run report and an alert email, where it is
## missing. Without root (or sudo) it cannot be installed, and those checks are skipped, saying why.
SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && echo sudo -n)
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "Installing Chromium (Debian's package) for the browser checks"; \
	  ( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium ) \
	    >/dev/null 2>&1 || echo "Could not install Chromium: the browser checks will be skipped"; }

# requirements-dev.lock: requirements.lock (what runs in production, the Docker image's) and the tests' and
# linters' tools, at the same versions.
$(STAMP): requirements-dev.lock package-lock.json pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $$(grep '^uv==' requirements-dev.lock)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements-dev.lock
	# The project itself, editable and without dependencies: its commands `complaints` and `complaints-dbt`
	$(BIN)/uv pip install --quiet --no-deps --python $(BIN)/python -e .
	# Data Docs' scripts and styles, so the pages open offline (pinned in package-lock.json)
	npm ci --silent --no-audit --no-fund --ignore-scripts
	touch $@

lint: setup
	$(BIN)/ruff check plugins dags tests benchmarks
	$(BIN)/ruff format --check plugins dags tests benchmarks
	$(BIN)/sqlfluff lint dbt_project

clean:
	rm -rf var dbt_project/target dbt_project/logs node_modules
