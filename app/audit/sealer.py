"""The sealer: chains the committed, unsealed events in id order into HMAC'd batches, and signs the head.

Every instance runs one (in the web process and in ``vclinic worker``); on PostgreSQL an advisory lock elects
which of them seals each round, and the head row's lock makes two sealers' transactions take turns whatever
the election says. A seal is one transaction, so a sealer killed part-way seals nothing and the next one
seals the same events; ``first_event_id`` is unique, so no event is sealed twice. See docs/audit-log.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import Gauge
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.chain import batch_hash, events_digest, head_signature
from app.audit.models import AuditBatch, AuditChainHead, AuditEvent
from app.audit.service import APPEND_LOCK_KEY, AuditLog
from app.core.config import Settings
from app.core.metrics import REGISTRY

log = logging.getLogger("vclinic.audit")

SEALER_LOCK_KEY = 0x76636C696E6963A2
_LOCK_NOT_AVAILABLE = "55P03"

UNSEALED_AGE = Gauge(
    "vclinic_audit_unsealed_age_seconds",
    "How long the oldest audit event not yet sealed into a batch has waited",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)


@dataclass(frozen=True, slots=True)
class SealedTail:
    """What one round left unsealed: how many events, and the oldest one's time."""

    events: int
    oldest_at: datetime | None

    def age_seconds(self, now: datetime) -> float:
        if self.oldest_at is None:
            return 0.0
        oldest = self.oldest_at if self.oldest_at.tzinfo else self.oldest_at.replace(tzinfo=UTC)
        return max(0.0, (now - oldest).total_seconds())


class AuditSealer:
    """Seals in rounds every ``interval_seconds``; each round seals every event that can no longer be
    overtaken by one with a lower id, ``max_batch`` at a time."""

    def __init__(
        self,
        audit_log: AuditLog,
        *,
        interval_seconds: float,
        max_batch: int = 5000,
        barrier_timeout_seconds: float = 2.0,
    ) -> None:
        self.audit_log = audit_log
        self.interval_seconds = interval_seconds
        self.max_batch = max_batch
        self._barrier_timeout_ms = int(barrier_timeout_seconds * 1000)

    @classmethod
    def from_settings(cls, settings: Settings, audit_log: AuditLog) -> AuditSealer:
        return cls(audit_log, interval_seconds=settings.audit_seal_interval_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        """Seals until ``stop`` is set; a failed round is logged and the next one tries again."""
        while not stop.is_set():
            try:
                await self.seal_round()
                await self.observe_tail()
            except Exception as exc:
                log.error("audit seal round failed", extra={"error_type": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_seconds)

    async def seal_round(self) -> int:
        """Seals what is committed and can be sealed now; returns how many events this instance sealed."""
        if self.audit_log.sqlite:
            return await self._seal_up_to(None)
        horizon = await self._horizon()
        if horizon is None:
            return 0
        return await self._seal_up_to(horizon)

    async def observe_tail(self) -> SealedTail:
        """The unsealed tail as it stands, also set as the ``vclinic_audit_unsealed_age_seconds`` gauge."""
        async with self.audit_log.factory() as session:
            tail = await unsealed_tail(session)
        UNSEALED_AGE.set(tail.age_seconds(datetime.now(UTC)))
        return tail

    async def _horizon(self) -> int | None:
        """The highest id below which every event that will ever commit has committed; None if another
        instance is sealing.

        Appends hold ``APPEND_LOCK_KEY`` shared from before their insert takes an id until they commit.
        Holding it exclusively, even for an instant, therefore means every id handed out so far belongs to a
        transaction that has ended: the highest committed id is then a horizon no later commit can fall
        under. Appends that start meanwhile wait for the instant, and take higher ids. An append that stays
        in flight past the barrier's timeout only postpones this round: the next one tries again.
        """
        try:
            async with self.audit_log.factory() as session, session.begin():
                if not await _elected(session):
                    return None
                await session.execute(text(f"SET LOCAL lock_timeout = {self._barrier_timeout_ms}"))
                await session.execute(select(func.pg_advisory_xact_lock(APPEND_LOCK_KEY)))
                highest = (await session.execute(select(func.max(AuditEvent.id)))).scalar_one()
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                raise
            log.warning("audit seal postponed: an append stayed in flight past the barrier's timeout")
            return None
        return int(highest or 0)

    async def _seal_up_to(self, horizon: int | None) -> int:
        sealed = 0
        while True:
            count = await self._seal_one_batch(horizon)
            sealed += count
            if count < self.max_batch:
                return sealed

    async def _seal_one_batch(self, horizon: int | None) -> int:
        async with self.audit_log.serialised(), self.audit_log.factory() as session, session.begin():
            if not self.audit_log.sqlite and not await _elected(session):
                return 0
            head = (
                await session.execute(
                    select(AuditChainHead).where(col(AuditChainHead.id) == 1).with_for_update()
                )
            ).scalar_one()
            after = await _last_sealed_id(session)
            query = select(col(AuditEvent.id), col(AuditEvent.hash)).where(col(AuditEvent.id) > after)
            if horizon is not None:
                query = query.where(col(AuditEvent.id) <= horizon)
            rows = (await session.execute(query.order_by(col(AuditEvent.id)).limit(self.max_batch))).all()
            if not rows:
                return 0
            events = [(int(event_id or 0), str(event_hmac)) for event_id, event_hmac in rows]
            batch = AuditBatch(
                first_event_id=events[0][0],
                last_event_id=events[-1][0],
                event_count=len(events),
                events_hash=events_digest(events),
                previous_hash=head.last_hash,
                sealed_at=datetime.now(UTC),
                hash="",
            )
            batch.hash = batch_hash(batch, self.audit_log.key)
            head.length += batch.event_count
            head.last_hash = batch.hash
            head.signature = head_signature(head.length, head.last_hash, self.audit_log.key)
            session.add(batch)
            session.add(head)
        return len(events)


async def _elected(session: AsyncSession) -> bool:
    """Whether this transaction holds the sealer's lock; released at its end, so a killed sealer frees it."""
    return bool((await session.execute(select(func.pg_try_advisory_xact_lock(SEALER_LOCK_KEY)))).scalar_one())


async def _last_sealed_id(session: AsyncSession) -> int:
    last = (
        await session.execute(
            select(col(AuditBatch.last_event_id)).order_by(col(AuditBatch.id).desc()).limit(1)
        )
    ).scalar_one_or_none()
    return int(last or 0)


async def unsealed_tail(session: AsyncSession) -> SealedTail:
    """How many events wait past the last batch, and the oldest one's time: a range read on the key."""
    after = await _last_sealed_id(session)
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(AuditEvent.occurred_at)).where(col(AuditEvent.id) > after)
        )
    ).one()
    return SealedTail(int(count), oldest)
