"""Claiming a queued run under a lease, renewing it, and settling it, so one worker at a time runs each run.

As the outbox does (app/outbox/claims.py): on PostgreSQL the candidate is locked ``FOR UPDATE SKIP LOCKED``,
so workers on any number of machines take different runs; on SQLite one UPDATE chooses and takes it under
the write lock. ``attempts`` is the fencing token: a worker writes to a run only while it still carries the
attempt it claimed, so a worker whose lease ran out, or whose run was cancelled, stops at its next write.
A run whose workers keep dying fails after ``max_attempts`` claims rather than being claimed for ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.case_finding.models import CaseFindingRun, RunStatus


@dataclass(frozen=True, slots=True)
class ClaimedRun:
    run_id: str
    practice_ods: str
    specialty: str
    attempt: int
    requested_by: str
    requested_role: str
    full: bool = False


@dataclass(frozen=True, slots=True)
class RunCounts:
    patients_scanned: int
    findings_count: int


def _counted(counts: RunCounts | None) -> dict[str, int]:
    if counts is None:
        return {}
    return {"patients_scanned": counts.patients_scanned, "findings_count": counts.findings_count}


def lease_lost_error(times: int) -> str:
    return f"the worker running it stopped {times} times without finishing; start a new run"


def _due(now: datetime) -> ColumnElement[bool]:
    queued = col(CaseFindingRun.status) == RunStatus.QUEUED
    abandoned = and_(col(CaseFindingRun.status) == RunStatus.RUNNING, col(CaseFindingRun.lease_until) < now)
    return or_(queued, abandoned)


async def claim_run(
    session: AsyncSession, *, now: datetime, lease: timedelta, max_attempts: int, run_id: str | None = None
) -> ClaimedRun | None:
    """Takes the oldest due run (or ``run_id`` when due); the caller commits before running it."""
    candidates = select(col(CaseFindingRun.id)).where(_due(now))
    if run_id is not None:
        candidates = candidates.where(col(CaseFindingRun.id) == run_id)
    candidates = candidates.order_by(col(CaseFindingRun.created_at)).limit(1)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        found = (await session.execute(candidates.with_for_update(skip_locked=True))).scalar_one_or_none()
        if found is None:
            return None
        chosen: ColumnElement[bool] = col(CaseFindingRun.id) == found
    else:
        if (await session.execute(candidates)).first() is None:
            return None
        chosen = col(CaseFindingRun.id).in_(candidates.scalar_subquery())
    await session.execute(
        update(CaseFindingRun)
        .where(
            chosen,
            col(CaseFindingRun.status) == RunStatus.RUNNING,
            col(CaseFindingRun.lease_until) < now,
            col(CaseFindingRun.attempts) >= max_attempts,
        )
        .values(
            status=RunStatus.FAILED,
            lease_until=None,
            finished_at=now,
            error=lease_lost_error(max_attempts),
        )
        .execution_options(synchronize_session=False)
    )
    claimed = await session.execute(
        update(CaseFindingRun)
        .where(chosen, _due(now))
        .values(
            status=RunStatus.RUNNING,
            attempts=col(CaseFindingRun.attempts) + 1,
            lease_until=now + lease,
            started_at=now,
            patients_scanned=0,
            findings_count=0,
            error=None,
        )
        .returning(
            col(CaseFindingRun.id),
            col(CaseFindingRun.practice_ods),
            col(CaseFindingRun.specialty),
            col(CaseFindingRun.attempts),
            col(CaseFindingRun.requested_by),
            col(CaseFindingRun.requested_role),
            col(CaseFindingRun.full),
        )
        .execution_options(synchronize_session=False)
    )
    row = claimed.first()
    return None if row is None else _claimed(row)


def _claimed(row: Any) -> ClaimedRun:
    return ClaimedRun(
        run_id=row.id,
        practice_ods=row.practice_ods,
        specialty=row.specialty,
        attempt=row.attempts,
        requested_by=row.requested_by,
        requested_role=row.requested_role,
        full=bool(row.full),
    )


def _held(claim: ClaimedRun) -> ColumnElement[bool]:
    return and_(
        col(CaseFindingRun.id) == claim.run_id,
        col(CaseFindingRun.status) == RunStatus.RUNNING,
        col(CaseFindingRun.attempts) == claim.attempt,
    )


async def renew(
    session: AsyncSession, claim: ClaimedRun, *, until: datetime, counts: RunCounts | None = None
) -> bool:
    """Extends the lease (and records ``counts``); False when the run was cancelled or taken over."""
    result = await session.execute(
        update(CaseFindingRun)
        .where(_held(claim))
        .values(lease_until=until, **_counted(counts))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def settle(
    session: AsyncSession,
    claim: ClaimedRun,
    *,
    status: RunStatus,
    now: datetime,
    error: str | None = None,
    counts: RunCounts | None = None,
    exported: tuple[datetime | None, datetime | None] | None = None,
) -> bool:
    """Ends the run as ``status`` (with ``exported``, the ``_since`` it asked for and the export's
    ``transactionTime``); False when it was no longer this worker's to end."""
    export = {} if exported is None else {"since": exported[0], "transaction_time": exported[1]}
    result = await session.execute(
        update(CaseFindingRun)
        .where(_held(claim))
        .values(status=status, lease_until=None, finished_at=now, error=error, **_counted(counts), **export)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
