"""A pipeline home of a test's own: a fresh COMPLAINTS_HOME and the settings the test gives it."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

import pytest

from complaints_pipeline.config import Settings, env_name, load_settings


@contextmanager
def settings_in(home: Path, **settings: str) -> Generator[Settings, None, None]:
    """The settings of a pipeline in home, these settings (by field name) set in the environment as a user
    sets them, for as long as the block lasts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPLAINTS_HOME", str(home))
        for name, value in settings.items():
            patch.setenv(env_name(name), value)
        yield load_settings()
