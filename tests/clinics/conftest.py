"""Clinics are database behaviour: every test here runs on SQLite and on PostgreSQL, unless its module says
why one engine is enough."""

import pytest


@pytest.fixture
def app_database_url(database_url: str) -> str:
    return database_url
