"""Shared fixtures: a migrated database on each engine, the test identity provider, the app and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import settings

from app.core.config import Settings
from app.main import create_app
from tests.support import databases
from tests.support.identity import AUDIENCE, ISSUER, IdentityProvider

TEST_SECRET = "test-secret-that-is-long-enough-0123456789"

# Property tests check what holds, not how fast: on a busy two-core machine one example can take longer than
# Hypothesis's default 200 ms deadline, which would fail a correct test.
settings.register_profile("vclinic", deadline=None)
settings.load_profile("vclinic")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    databases.require_postgres()
    with databases.postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return databases.sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty, migrated database; every test that takes it runs once on each engine."""
    if request.param == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
        return url
    url = request.getfixturevalue("postgres_url")
    databases.reset_postgres(url)
    return url


@pytest.fixture
def app_database_url(sqlite_url: str) -> str:
    """The app's database: SQLite unless a folder's conftest opts into both engines."""
    return sqlite_url


@pytest.fixture(scope="session")
def identity(tmp_path_factory: pytest.TempPathFactory) -> IdentityProvider:
    return IdentityProvider.create(tmp_path_factory.mktemp("identity"))


@pytest.fixture
def settings(app_database_url: str, identity: IdentityProvider, tmp_path: Path) -> Settings:
    return Settings(
        dev_mode=False,
        database_url=app_database_url,
        var_dir=tmp_path / "var",
        jwks=str(identity.jwks_path),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        secret_key=TEST_SECRET,
        audit_key=TEST_SECRET,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
