"""The audit trail is database behaviour: every test here runs on SQLite and on PostgreSQL."""

import pytest


@pytest.fixture
def app_database_url(database_url: str) -> str:
    return database_url
