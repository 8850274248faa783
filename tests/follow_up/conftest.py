"""Follow-up actions are database behaviour: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import Settings
from tests.advice.practices import PRACTICES_TOML


@pytest.fixture
def app_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    practices = tmp_path / "practices.toml"
    practices.write_text(PRACTICES_TOML, encoding="utf-8")
    return settings.model_copy(update={"practices_file": practices})
