"""Superset settings for the compose stack: metadata in SQLite under superset_home, no telemetry."""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = "sqlite:////app/superset_home/superset.db"
# The marts are read from a read-only mount; nothing to upload or write back.
FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": False}
