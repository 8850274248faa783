"""``vclinic worker --once`` and ``vclinic outbox retry`` as an operator runs them, against the mock GP; and a
dispatcher process killed with SIGKILL mid-delivery loses no advice and, once deduplicated, doubles none."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from adapters.mock_gp import FaultConfig, running_mock_gp
from app.cli import main
from app.core.config import get_settings
from app.outbox.models import DeliveryState, OutboxMessage
from tests.outbox.factories import queue, row, sessions
from tests.outbox.workers import practices_file, received, start_dispatcher, stop, worker_env
from tests.support import databases

QUEUED = 20
LEASE_SECONDS = 1.5


@pytest.fixture(autouse=True)
def settings_cache() -> Iterator[None]:
    yield
    get_settings.cache_clear()


@pytest.fixture
def slow_gp(tmp_path: Path) -> Iterator[str]:
    """The mock GP answering every FHIR request after 100 ms, so deliveries are in flight long enough."""
    data = tmp_path / "gp"
    data.mkdir()
    with running_mock_gp(data, FaultConfig(latency_ms=100)) as url:
        yield url


def test_worker_once_delivers_what_is_due_and_exits(
    sqlite_url: str,
    tmp_path: Path,
    slow_gp: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = asyncio.run(_queued(sqlite_url, 3))
    _use_env(monkeypatch, worker_env(sqlite_url, practices_file(tmp_path, slow_gp), tmp_path / "var"))
    assert main(["worker", "--once"]) == 0
    assert "outbox: 3 delivery attempt(s) made" in capsys.readouterr().out
    assert asyncio.run(_statuses(sqlite_url, ids)) == {DeliveryState.DELIVERED}
    sent = received(slow_gp)
    assert (sent["communications"]["unique"], sent["tasks"]["unique"]) == (3, 3)


def test_outbox_retry_queues_dead_deliveries_again(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = asyncio.run(_queued(sqlite_url, 2, status=DeliveryState.DEAD))
    _use_env(
        monkeypatch, worker_env(sqlite_url, practices_file(tmp_path, "http://127.0.0.1:9/fhir"), tmp_path)
    )
    assert main(["outbox", "retry", "--all-dead"]) == 0
    assert "outbox: 2 message(s) queued for delivery again" in capsys.readouterr().out
    assert main(["outbox", "retry", "--message", "no-such-message"]) == 1
    assert asyncio.run(_statuses(sqlite_url, dead)) == {DeliveryState.PENDING}


def _use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Settings for the command, read as in a shell; the ``settings_cache`` fixture forgets them after."""
    for name, value in env.items():
        if name.startswith("VCLINIC_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()


async def _queued(database_url: str, count: int, *, status: DeliveryState | None = None) -> list[str]:
    async with sessions(database_url) as factory:
        ids = await queue(factory, count)
        if status is not None:
            async with factory() as session, session.begin():
                await session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(ids))
                    .values(status=status, attempts=8)
                )
    return ids


async def _statuses(database_url: str, ids: list[str]) -> set[str]:
    async with sessions(database_url) as factory:
        return {(await row(factory, message_id)).status for message_id in ids}


@pytest.mark.postgres
@pytest.mark.integration
async def test_a_dispatcher_killed_mid_delivery_loses_nothing_and_the_receiver_keeps_one_of_each(
    postgres_url: str, slow_gp: str
) -> None:
    databases.reset_postgres(postgres_url)
    async with sessions(postgres_url) as factory:

        async def some_sent() -> bool:
            return await _communications(slow_gp) >= QUEUED // 4

        async def all_delivered() -> bool:
            return await _delivered(factory) == QUEUED

        ids = await queue(factory, QUEUED)
        doomed = start_dispatcher(postgres_url, slow_gp, lease_seconds=LEASE_SECONDS)
        try:
            await _until(some_sent)
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=10)
        finally:
            stop(doomed)
        assert await _communications(slow_gp) < QUEUED, "killed part-way through"

        successor = start_dispatcher(postgres_url, slow_gp, lease_seconds=LEASE_SECONDS)
        try:
            await _until(all_delivered)
        finally:
            stop(successor)
    sent = await asyncio.to_thread(received, slow_gp)
    assert sent["communications"]["unique"] == QUEUED
    assert sent["tasks"]["unique"] == QUEUED
    assert sent["communications"]["raw"] >= QUEUED
    assert {item["identifier"][0]["value"] for item in sent["communications"]["items"]} == set(ids)


async def _communications(fhir_base_url: str) -> int:
    sent = await asyncio.to_thread(received, fhir_base_url)
    count: int = sent["communications"]["raw"]
    return count


async def _delivered(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        query = select(func.count()).where(col(OutboxMessage.status) == DeliveryState.DELIVERED)
        return int((await session.execute(query)).scalar_one())


async def _until(check: Callable[[], Awaitable[bool]], *, seconds: float = 40.0) -> None:
    """Awaits ``check`` every 0.1 s until it holds; fails after ``seconds``."""
    for _ in range(int(seconds / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("gave up waiting")
