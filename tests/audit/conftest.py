"""The audit trail is database behaviour: every test here runs on SQLite and on PostgreSQL."""

import pytest

from app.core.config import Settings


@pytest.fixture
def app_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No sealer in the background: each test seals when it means to, so what is sealed is known."""
    return settings.model_copy(update={"audit_sealer_enabled": False})
