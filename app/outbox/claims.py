"""Claiming due deliveries under a lease, and settling them, so two workers never deliver one message at once.

A claim sets ``status = delivering``, a lease, and bumps ``attempts``; it commits before any network call.
On PostgreSQL the candidate rows are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent workers take
disjoint batches without waiting on each other. On SQLite, which has one writer at a time, one UPDATE both
chooses the rows and takes them, under the write lock. Either way the UPDATE repeats the "is it due" test,
so a claim is an atomic compare-and-set.

``attempts`` doubles as a fencing token: a worker settles a row only if it is still ``delivering`` with the
attempt number it claimed. A worker whose lease ran out (it stalled, or was killed) and whose row another
worker has re-claimed therefore cannot overwrite the newer outcome.

A claim whose receiver was never tried is released: ``attempts`` goes back to what it was before the claim,
so only tries that reached the receiver count toward giving up. The token stays sound, because the count
only ever returns to the value it had before that same claim, which every older claim had already passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.outbox.models import Channel, DeliveryState, OutboxMessage

LEASE_EXPIRED_ERROR = "the worker stopped mid-delivery too many times"


@dataclass(frozen=True, slots=True)
class Claim:
    message_id: str
    practice_ods: str
    channel: str
    attempt: int
    # Read into an AdviceMessage by the delivery, not here: a payload that no longer reads must fail its
    # own delivery, not every claim of the batch it is in.
    payload: dict[str, Any]


def _due(now: datetime) -> ColumnElement[bool]:
    pending = and_(
        col(OutboxMessage.status) == DeliveryState.PENDING, col(OutboxMessage.next_attempt_at) <= now
    )
    abandoned = and_(
        col(OutboxMessage.status) == DeliveryState.DELIVERING, col(OutboxMessage.lease_until) < now
    )
    return or_(pending, abandoned)


async def claim_due(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int, max_attempts: int
) -> list[Claim]:
    """Takes up to ``limit`` due deliveries for this worker; the caller commits before delivering them."""
    candidates = (
        select(col(OutboxMessage.id))
        .where(_due(now), col(OutboxMessage.channel) != Channel.FEED)
        .order_by(col(OutboxMessage.next_attempt_at))
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        ids = list((await session.execute(candidates.with_for_update(skip_locked=True))).scalars())
        if not ids:
            return []
        chosen: ColumnElement[bool] = col(OutboxMessage.id).in_(ids)
    else:
        # A read first, so an idle worker never takes SQLite's single write lock; the claim itself then
        # chooses its rows inside the UPDATE, under that lock, so a rival cannot take them in between.
        if (await session.execute(candidates.limit(1))).first() is None:
            return []
        chosen = col(OutboxMessage.id).in_(candidates.scalar_subquery())
    await _bury_abandoned(session, chosen, now=now, max_attempts=max_attempts)
    claimed = await session.execute(
        update(OutboxMessage)
        .where(chosen, _due(now))
        .values(
            status=DeliveryState.DELIVERING,
            lease_until=now + lease,
            attempts=col(OutboxMessage.attempts) + 1,
        )
        .returning(
            col(OutboxMessage.id),
            col(OutboxMessage.practice_ods),
            col(OutboxMessage.channel),
            col(OutboxMessage.attempts),
            col(OutboxMessage.payload),
        )
        .execution_options(synchronize_session=False)
    )
    return [_claim(row) for row in claimed.all()]


def _claim(row: Any) -> Claim:
    return Claim(
        message_id=row.id,
        practice_ods=row.practice_ods,
        channel=row.channel,
        attempt=row.attempts,
        payload=row.payload,
    )


async def _bury_abandoned(
    session: AsyncSession, chosen: ColumnElement[bool], *, now: datetime, max_attempts: int
) -> None:
    """A message whose deliveries keep dying with their worker would otherwise be claimed for ever.

    Only among the rows this claim chose: on PostgreSQL, touching rows another worker has locked could
    deadlock the two claims.
    """
    await session.execute(
        update(OutboxMessage)
        .where(
            chosen,
            col(OutboxMessage.status) == DeliveryState.DELIVERING,
            col(OutboxMessage.lease_until) < now,
            col(OutboxMessage.attempts) >= max_attempts,
        )
        .values(
            status=DeliveryState.DEAD, lease_until=None, next_attempt_at=None, last_error=LEASE_EXPIRED_ERROR
        )
        .execution_options(synchronize_session=False)
    )


async def settle(
    session: AsyncSession,
    claim: Claim,
    *,
    status: DeliveryState,
    now: datetime,
    external_id: str | None = None,
    last_error: str | None = None,
    retry_at: datetime | None = None,
) -> bool:
    """Records the outcome of a claimed delivery; False when the claim was lost to another worker."""
    values: dict[str, Any] = {
        "status": status,
        "lease_until": None,
        "next_attempt_at": retry_at,
        "last_error": last_error,
    }
    if status in (DeliveryState.SENT, DeliveryState.DELIVERED):
        values |= {"sent_at": now, "external_id": external_id}
    result = await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == claim.message_id,
            col(OutboxMessage.status) == DeliveryState.DELIVERING,
            col(OutboxMessage.attempts) == claim.attempt,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release(session: AsyncSession, claim: Claim, *, retry_at: datetime, reason: str) -> bool:
    """Gives back a claim whose receiver was not tried, uncounted; False when another worker has it."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == claim.message_id,
            col(OutboxMessage.status) == DeliveryState.DELIVERING,
            col(OutboxMessage.attempts) == claim.attempt,
        )
        .values(
            status=DeliveryState.PENDING,
            attempts=claim.attempt - 1,
            lease_until=None,
            next_attempt_at=retry_at,
            last_error=reason,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
