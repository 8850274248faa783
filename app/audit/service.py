"""Append to and read the audit log. Appends only: nothing here updates or deletes an event."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.audit.chain import event_hash
from app.audit.models import AuditEvent, fitted_to_columns

# Verification lives in its own module; callers that append and verify find both here.
from app.audit.verify import ChainVerdict as ChainVerdict
from app.audit.verify import verify_chain as verify_chain
from app.auth.principal import Principal
from app.core.config import Settings

# The access rests on the consultant's own word: they put the patient on their clinic's list by NHS number,
# with no advice request from the practice behind it. The practice sees this, and the reason, in its trail.
CONSULTANT_INITIATED = "consultant-initiated"
# The access rests on a practice search (case-finding) that found the patient, put on a clinic's list from it.
CASE_FINDING = "case-finding"


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

    def found_by_case_finding(self, rules: str) -> None:
        """Flags the access as resting on a case-finding search that found the patient, naming its rules."""
        self.access_basis = CASE_FINDING
        self.access_reason = rules


@dataclass(frozen=True, slots=True)
class Outcome:
    """One access of a request, as it ended: what the route said of it, and how it was answered."""

    note: AuditNote
    outcome: str
    status: int


# The advisory lock every append holds shared from its insert to its commit. The sealer takes it exclusively
# for an instant to learn which ids can no longer commit (app/audit/sealer.py, docs/audit-log.md).
APPEND_LOCK_KEY = 0x76636C696E6963A1
_APPEND_COLUMNS = tuple(
    name
    for name in AuditEvent.__table__.columns.keys()  # type: ignore[attr-defined]  # noqa: SIM118
    if name != "id"
)


class AuditLog:
    """Owns the audit key and how appends are written: concurrently, each event under its own HMAC.

    Appends take no global lock and order nothing: the sealer chains them afterwards. On PostgreSQL an append
    holds ``APPEND_LOCK_KEY`` shared, which appends never contend for among themselves. SQLite has one writer
    at a time and no row locks, so a unit of work that will append holds a process lock from its first
    statement to its commit: taking it before any database lock means two writers can never wait on each
    other. The sealer takes the same process lock.
    """

    def __init__(self, factory: async_sessionmaker[AsyncSession], key: bytes, *, sqlite: bool) -> None:
        self.factory = factory
        self.key = key
        self.sqlite = sqlite
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, factory: async_sessionmaker[AsyncSession]) -> AuditLog:
        return cls(factory, settings.audit_key.get_secret_value().encode(), sqlite=settings.is_sqlite)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session that commits at the end; appends inside it share its transaction."""
        async with self.serialised(), self.factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def serialised(self) -> AsyncIterator[None]:
        """On SQLite, this process's one writer at a time; on PostgreSQL, nothing."""
        if self.sqlite:
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
    ) -> None:
        """Adds the event to the session's transaction; the unit of work commits it with everything else."""
        await self.append_all(
            session, principal=principal, request_id=request_id, outcomes=[Outcome(note, outcome, status)]
        )

    async def append_all(
        self, session: AsyncSession, *, principal: Principal, request_id: str, outcomes: Sequence[Outcome]
    ) -> None:
        """Adds one event per outcome to the session's transaction, all in one insert."""
        if not outcomes:
            return
        occurred_at = datetime.now(UTC)
        rows = [self._row(principal, request_id, occurred_at, outcome) for outcome in outcomes]
        if not self.sqlite:
            await session.execute(select(func.pg_advisory_xact_lock_shared(APPEND_LOCK_KEY)))
        await session.execute(insert(AuditEvent).values(rows))
        for outcome in outcomes:
            outcome.note.recorded = True

    def _row(
        self, principal: Principal, request_id: str, occurred_at: datetime, outcome: Outcome
    ) -> dict[str, object]:
        note = outcome.note
        event = fitted_to_columns(
            AuditEvent(
                occurred_at=occurred_at,
                actor=principal.sub,
                role=principal.role.value,
                organisation=principal.organisation,
                specialty=note.specialty or principal.specialty,
                nhs_number=note.nhs_number,
                purpose=note.purpose,
                action=note.action,
                outcome=outcome.outcome,
                status=outcome.status,
                request_id=request_id,
                break_glass_reason=note.break_glass_reason,
                access_basis=note.access_basis,
                access_reason=note.access_reason,
                previous_hash=secrets.token_hex(32),
                hash="",
            )
        )
        event.hash = event_hash(event, self.key)
        return {name: getattr(event, name) for name in _APPEND_COLUMNS}


async def events_for_patient(session: AsyncSession, nhs_number: str, *, limit: int) -> Sequence[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(col(AuditEvent.nhs_number) == nhs_number)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()
