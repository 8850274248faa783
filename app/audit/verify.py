"""Checks the audit log: every sealed batch against exactly its events, the batch chain, its signed head, and
each unsealed event's own HMAC.

Ids order the walk and bound the batches, but nothing here expects them to be contiguous: PostgreSQL spends a
sequence value on every insert a rollback undoes, so a gap in them is no finding.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.chain import GENESIS_HASH, batch_hash, event_hash, events_digest, head_signature
from app.audit.models import AuditBatch, AuditChainHead, AuditEvent


@dataclass(slots=True)
class ChainVerdict:
    intact: bool
    events: int
    problems: list[str]
    batches: int = 0
    unsealed: int = 0
    oldest_unsealed_at: datetime | None = None

    def unsealed_age_seconds(self, now: datetime) -> float:
        """How long the oldest unsealed event has waited; 0 when every event is sealed."""
        if self.oldest_unsealed_at is None:
            return 0.0
        oldest = self.oldest_unsealed_at
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
        return max(0.0, (now - oldest).total_seconds())


class _Events:
    """The events in id order, a page at a time, with the next one in view."""

    def __init__(self, session: AsyncSession, page_size: int) -> None:
        self._session = session
        self._page_size = page_size
        self._page: list[AuditEvent] = []
        self._after = 0
        self._exhausted = False

    async def peek(self) -> AuditEvent | None:
        if not self._page and not self._exhausted:
            query = (
                select(AuditEvent)
                .where(col(AuditEvent.id) > self._after)
                .order_by(col(AuditEvent.id))
                .limit(self._page_size)
            )
            self._session.expunge_all()
            self._page = list((await self._session.execute(query)).scalars())
            self._page.reverse()
            self._exhausted = not self._page
            if self._page:
                self._after = self._page[0].id or self._after
        return self._page[-1] if self._page else None

    def take(self) -> None:
        self._page.pop()


@dataclass(slots=True)
class _Walk:
    key: bytes
    problems: list[str] = field(default_factory=list)
    events: int = 0

    def check_event(self, event: AuditEvent) -> None:
        self.events += 1
        if not hmac.compare_digest(event_hash(event, self.key), event.hash):
            self.problems.append(f"event {event.id} was altered after it was written")


async def verify_chain(session: AsyncSession, key: bytes, *, batch: int = 5000) -> ChainVerdict:
    """Walks the batches in seal order beside the events in id order; what lies past the last batch is the
    unsealed tail.

    An edited event fails its own HMAC, sealed or not. A deleted, added or moved sealed event changes its
    batch's count or digest; a deleted or moved batch breaks the link of the batch after it; deleting the
    newest batches leaves the signed head ahead of the chain. A deleted unsealed event leaves no trace.

    The head is read first, and checked against the batches it records: the sealer may commit more batches
    while the walk runs. Those are checked like any other; they are a finding only if the head, read again
    at the end, still does not cover them.
    """
    walk = _Walk(key)
    events = _Events(session, batch)
    head = await _head(session)
    recorded = head.length if head is not None else 0
    previous_hash, sealed, batches, last_sealed_id = GENESIS_HASH, 0, 0, 0
    at_head: tuple[int, str] | None = (0, GENESIS_HASH) if recorded == 0 else None
    async for sealed_batch in _batches_in_seal_order(session):
        if sealed_batch.previous_hash != previous_hash:
            walk.problems.append(
                f"batch {sealed_batch.id} does not follow the batch before it: "
                "batches are missing or out of order"
            )
        if not hmac.compare_digest(batch_hash(sealed_batch, key), sealed_batch.hash):
            walk.problems.append(f"batch {sealed_batch.id} was altered after it was sealed")
        await _check_batch_events(sealed_batch, events, walk)
        previous_hash = sealed_batch.hash
        sealed += sealed_batch.event_count
        batches += 1
        last_sealed_id = max(last_sealed_id, sealed_batch.last_event_id)
        if at_head is None and sealed >= recorded:
            at_head = (sealed, previous_hash)
    unsealed, oldest = 0, None
    while (event := await events.peek()) is not None:
        events.take()
        walk.check_event(event)
        unsealed += 1
        oldest = event.occurred_at if oldest is None else min(oldest, event.occurred_at)
    head_sealed, head_hash = at_head if at_head is not None else (sealed, previous_hash)
    walk.problems.extend(_head_problems(head, head_sealed, head_hash, key))
    if sealed > head_sealed and ((now := await _head(session)) is None or now.length < sealed):
        walk.problems.append(
            f"batches seal {sealed} events but the signed head covers {head_sealed}: the head was rolled back"
        )
    return ChainVerdict(
        intact=not walk.problems,
        events=walk.events,
        problems=walk.problems,
        batches=batches,
        unsealed=unsealed,
        oldest_unsealed_at=oldest,
    )


async def _head(session: AsyncSession) -> AuditChainHead | None:
    query = select(AuditChainHead).where(col(AuditChainHead.id) == 1)
    # Read afresh each time: the sealer moves the head while a walk runs.
    found = await session.execute(query.execution_options(populate_existing=True))
    return found.scalar_one_or_none()


async def _check_batch_events(sealed_batch: AuditBatch, events: _Events, walk: _Walk) -> None:
    while (event := await events.peek()) is not None and (event.id or 0) < sealed_batch.first_event_id:
        events.take()
        walk.check_event(event)
        walk.problems.append(
            f"event {event.id} lies outside every batch: it was added or moved after sealing"
        )
    inside: list[tuple[int, str]] = []
    while (event := await events.peek()) is not None and (event.id or 0) <= sealed_batch.last_event_id:
        events.take()
        walk.check_event(event)
        inside.append((event.id or 0, event.hash))
    if len(inside) != sealed_batch.event_count:
        walk.problems.append(
            f"batch {sealed_batch.id} seals {sealed_batch.event_count} events but {len(inside)} remain "
            "in its range: events were deleted or added"
        )
    elif not hmac.compare_digest(events_digest(inside), sealed_batch.events_hash):
        walk.problems.append(
            f"batch {sealed_batch.id} does not match its events: events were reordered or replaced"
        )


async def _batches_in_seal_order(session: AsyncSession, page_size: int = 1000) -> AsyncIterator[AuditBatch]:
    after = 0
    while True:
        query = (
            select(AuditBatch).where(col(AuditBatch.id) > after).order_by(col(AuditBatch.id)).limit(page_size)
        )
        page = list((await session.execute(query)).scalars())
        if not page:
            return
        for sealed_batch in page:
            yield sealed_batch
        after = page[-1].id or after


def _head_problems(head: AuditChainHead | None, sealed: int, last_hash: str, key: bytes) -> list[str]:
    if head is None:
        return ["the audit head is missing"]
    if head.length == 0 and head.signature is None:
        return [] if sealed == 0 else ["the audit head was reset"]
    if head.signature is None or not hmac.compare_digest(
        head_signature(head.length, head.last_hash, key), head.signature
    ):
        return ["the audit head was altered"]
    if head.length != sealed or head.last_hash != last_hash:
        return [
            f"the audit head records {head.length} sealed events but the batches seal {sealed}: "
            "batches were deleted"
        ]
    return []
