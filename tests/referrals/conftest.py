"""Referral delivery tests take a session factory on a fresh, migrated database of each engine, and a mock GP
whose referral receiver takes the messages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.mock_gp.server import running_mock_gp
from tests.outbox.factories import sessions


@pytest.fixture
async def factory(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with sessions(database_url) as made:
        yield made


@pytest.fixture
def receiver_url(tmp_path: Path) -> Iterator[str]:
    """The mock GP's root, where ``POST /$process-message`` is."""
    (tmp_path / "gp").mkdir()
    with running_mock_gp(tmp_path / "gp") as fhir_base:
        yield fhir_base.removesuffix("/fhir")
