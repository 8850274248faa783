"""Advice is database behaviour: every test here runs on SQLite and on PostgreSQL, against the practices and
directory in ``tests/advice/practices.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from tests.advice.practices import PRACTICES_TOML


@pytest.fixture
def app_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    practices = tmp_path / "practices.toml"
    practices.write_text(PRACTICES_TOML, encoding="utf-8")
    return settings.model_copy(update={"practices_file": practices})


@pytest.fixture
async def second_instance(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another instance of the service on the same database, as in a multi-instance deployment."""
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
