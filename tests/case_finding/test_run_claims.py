"""Runs are claimed one worker at a time under a lease: a run whose workers keep dying fails saying so rather
than staying `running`, and a worker whose run was cancelled or taken over can no longer write to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.case_finding.claims import claim_run, renew
from app.case_finding.models import CaseFindingRun, RunStatus

NOW = datetime(2026, 11, 29, 9, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(database_url)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def _queued(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session, session.begin():
        run = CaseFindingRun(
            practice_ods="A11111",
            specialty="nephrology",
            status=RunStatus.QUEUED.value,
            requested_by="test",
            requested_role="admin",
            created_at=NOW,
        )
        session.add(run)
    return run.id


async def _claim(sessions: async_sessionmaker[AsyncSession], at: datetime) -> str | None:
    async with sessions() as session, session.begin():
        claim = await claim_run(session, now=at, lease=LEASE, max_attempts=2)
    return None if claim is None else claim.run_id


async def test_a_run_is_claimed_once_until_its_lease_runs_out(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    run_id = await _queued(sessions)
    assert await _claim(sessions, NOW) == run_id
    assert await _claim(sessions, NOW + LEASE / 2) is None
    assert await _claim(sessions, NOW + LEASE * 2) == run_id


async def test_a_run_whose_workers_keep_dying_fails_saying_so(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    run_id = await _queued(sessions)
    assert await _claim(sessions, NOW) == run_id
    assert await _claim(sessions, NOW + LEASE * 2) == run_id
    assert await _claim(sessions, NOW + LEASE * 4) is None
    async with sessions() as session:
        run = await session.get(CaseFindingRun, run_id)
    assert run is not None
    assert run.status == RunStatus.FAILED
    assert "stopped 2 times" in (run.error or "")


async def test_a_worker_that_lost_its_run_can_no_longer_write_to_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    run_id = await _queued(sessions)
    async with sessions() as session, session.begin():
        first = await claim_run(session, now=NOW, lease=LEASE, max_attempts=3)
    async with sessions() as session, session.begin():
        second = await claim_run(session, now=NOW + LEASE * 2, lease=LEASE, max_attempts=3)
    assert first is not None
    assert second is not None
    assert second.run_id == run_id
    async with sessions() as session, session.begin():
        assert not await renew(session, first, until=NOW + LEASE * 3)
        assert await renew(session, second, until=NOW + LEASE * 3)
