"""Outbox tests take a session factory on a fresh, migrated database of each engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.outbox.factories import sessions


@pytest.fixture
async def factory(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with sessions(database_url) as made:
        yield made
