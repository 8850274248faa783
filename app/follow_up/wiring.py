"""Builds the follow-up check and worker from the settings: `vclinic worker` and `vclinic follow-up check`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

from app.audit.service import AuditLog
from app.core.background import running_alongside
from app.core.config import Settings
from app.core.db import create_engine, session_factory
from app.follow_up.checks import CheckTiming, ResultCheck
from app.follow_up.worker import FollowUpWorker
from app.records.wiring import PracticeNetwork, build_practice_network
from app.specialties.registry import analyte_catalogue


def check_timing(settings: Settings) -> CheckTiming:
    return CheckTiming(
        interval=timedelta(seconds=settings.follow_up_check_interval_seconds),
        lease=timedelta(seconds=settings.follow_up_lease_seconds),
        batch_size=settings.follow_up_batch_size,
    )


def _worker(settings: Settings, audit_log: AuditLog, network: PracticeNetwork) -> FollowUpWorker:
    return FollowUpWorker(
        ResultCheck(audit_log, network, timing=check_timing(settings)),
        audit_log,
        batch_size=settings.follow_up_batch_size,
        poll_seconds=settings.follow_up_poll_seconds,
        clock=lambda: datetime.now(UTC),
    )


def follow_up_in_process(
    settings: Settings, audit_log: AuditLog, network: PracticeNetwork
) -> AbstractAsyncContextManager[None]:
    """The web process's own follow-up checks and overdue notices while the block runs, over its own
    practice connections: ``make run`` closes actions and raises overdue events with no worker process."""
    return running_alongside("follow-up worker", _worker(settings, audit_log, network).run)


@asynccontextmanager
async def follow_up_worker(settings: Settings) -> AsyncIterator[FollowUpWorker]:
    """The worker with its own engine and practice connections, closed when the block ends."""
    engine = create_engine(settings)
    factory = session_factory(engine)
    network = build_practice_network(settings, factory, catalogue=analyte_catalogue())
    audit_log = AuditLog.from_settings(settings, factory)
    try:
        yield _worker(settings, audit_log, network)
    finally:
        await network.aclose()
        await engine.dispose()


async def run_follow_up_worker(settings: Settings, *, once: bool, stop: asyncio.Event | None = None) -> int:
    """Checks and notices until ``stop``; with ``once``, rounds until one is short, and how many it ran."""
    async with follow_up_worker(settings) as worker:
        if once or stop is None:
            return await worker.run_until_idle()
        await worker.run(stop)
        return 0


async def check_follow_up_once(settings: Settings) -> int:
    """``vclinic follow-up check``: every open action a result can close, checked now; how many closed."""
    async with follow_up_worker(settings) as worker:
        return await worker.check.check_everything()
