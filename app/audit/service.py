"""Append to, read and verify the audit chain. Appends only: nothing here updates or deletes an event."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.audit.chain import GENESIS_HASH, event_hash, head_signature
from app.audit.models import AuditChainHead, AuditEvent, fitted_to_columns
from app.auth.principal import Principal

# The access rests on the consultant's own word: they put the patient on their clinic's list by NHS number,
# with no advice request from the practice behind it. The practice sees this, and the reason, in its trail.
CONSULTANT_INITIATED = "consultant-initiated"


@dataclass(slots=True)
class AuditNote:
    """What a route says about its access, completed by the outcome when the request ends."""

    purpose: str
    action: str
    nhs_number: str | None = None
    break_glass_reason: str | None = None
    access_basis: str | None = None
    access_reason: str | None = None
    # The specialty whose record view was asked for, when the route names one; else the caller's own.
    specialty: str | None = None
    recorded: bool = False

    def consultant_initiated(self, reason: str) -> None:
        """Flags the access as resting on a clinic entry the consultant made, with the reason they gave."""
        self.access_basis = CONSULTANT_INITIATED
        self.access_reason = reason


class AuditLog:
    """Owns the chain's key and the ordering of appends.

    PostgreSQL orders appends across instances by locking the head row from the append to the commit, which
    ``append`` does last in a unit of work, so the lock is brief. SQLite has one writer at a time and no row
    locks, so a unit of work that will append holds a process lock from its first statement to its commit:
    taking it before any database lock means two writers can never wait on each other.
    """

    def __init__(self, factory: async_sessionmaker[AsyncSession], key: bytes, *, sqlite: bool) -> None:
        self.factory = factory
        self.key = key
        self._sqlite = sqlite
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session that commits at the end; appends inside it share its transaction."""
        async with self._serialised(), self.factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def _serialised(self) -> AsyncIterator[None]:
        if self._sqlite:
            async with self._lock:
                yield
        else:
            yield

    async def append(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        note: AuditNote,
        outcome: str,
        status: int,
        request_id: str,
    ) -> AuditEvent:
        """Adds the event to the session's transaction; the unit of work commits it with everything else."""
        head = (
            await session.execute(select(AuditChainHead).where(col(AuditChainHead.id) == 1).with_for_update())
        ).scalar_one()
        event = fitted_to_columns(
            AuditEvent(
                occurred_at=datetime.now(UTC),
                actor=principal.sub,
                role=principal.role.value,
                organisation=principal.organisation,
                specialty=note.specialty or principal.specialty,
                nhs_number=note.nhs_number,
                purpose=note.purpose,
                action=note.action,
                outcome=outcome,
                status=status,
                request_id=request_id,
                break_glass_reason=note.break_glass_reason,
                access_basis=note.access_basis,
                access_reason=note.access_reason,
                previous_hash=head.last_hash,
                hash="",
            )
        )
        event.hash = event_hash(event, self.key)
        head.length += 1
        head.last_hash = event.hash
        head.signature = head_signature(head.length, head.last_hash, self.key)
        session.add(event)
        session.add(head)
        await session.flush()
        note.recorded = True
        return event


async def events_for_patient(session: AsyncSession, nhs_number: str, *, limit: int) -> Sequence[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(col(AuditEvent.nhs_number) == nhs_number)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    intact: bool
    events: int
    problems: list[str]


async def verify_chain(session: AsyncSession, key: bytes, *, batch: int = 5000) -> ChainVerdict:
    """Follows the hash links in append order and checks the signed head against where they end.

    Ids only order the walk: appends take the head's lock before their insert, so ids rise in append order,
    but they are not contiguous (PostgreSQL spends a sequence value on every insert a rollback undoes), so
    a gap in them is no finding. An edited event fails its own hash; a deleted or moved one breaks the link
    of the event after it; deleting the newest leaves the signed head longer than the chain.
    """
    problems: list[str] = []
    previous = GENESIS_HASH
    count = 0
    async for event in _in_append_order(session, batch):
        if event.previous_hash != previous:
            problems.append(
                f"event {event.id} does not follow the event before it: events are missing or out of order"
            )
        if not hmac.compare_digest(event_hash(event, key), event.hash):
            problems.append(f"event {event.id} was altered after it was written")
        previous = event.hash
        count += 1
    head = (
        await session.execute(select(AuditChainHead).where(col(AuditChainHead.id) == 1))
    ).scalar_one_or_none()
    problems.extend(_head_problems(head, count, previous, key))
    return ChainVerdict(intact=not problems, events=count, problems=problems)


async def _in_append_order(session: AsyncSession, batch: int) -> AsyncIterator[AuditEvent]:
    last_id = 0
    while True:
        query = (
            select(AuditEvent).where(col(AuditEvent.id) > last_id).order_by(col(AuditEvent.id)).limit(batch)
        )
        page = list((await session.execute(query)).scalars())
        if not page:
            return
        for event in page:
            yield event
        last_id = page[-1].id or last_id
        session.expunge_all()


def _head_problems(head: AuditChainHead | None, count: int, last_hash: str, key: bytes) -> list[str]:
    if head is None:
        return ["the chain head is missing"]
    if head.length == 0 and head.signature is None:
        return [] if count == 0 else ["the chain head was reset"]
    if head.signature is None or not hmac.compare_digest(
        head_signature(head.length, head.last_hash, key), head.signature
    ):
        return ["the chain head was altered"]
    if head.length != count or head.last_hash != last_hash:
        return [f"the chain head records {head.length} events but {count} remain: events were deleted"]
    return []
