"""Append to and read the audit log. Appends only: nothing here updates or deletes an event."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, Text, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.types import TypeEngine
from sqlmodel import col

from app.audit.chain import values_hash
from app.audit.models import AuditEvent, fitted_values

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
_APPEND = insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id)  # type: ignore[attr-defined]
# Every column an append writes, in the order ``_row`` gives them.
_APPENDED = (
    "occurred_at",
    "actor",
    "role",
    "organisation",
    "specialty",
    "nhs_number",
    "purpose",
    "action",
    "outcome",
    "status",
    "request_id",
    "break_glass_reason",
    "access_basis",
    "access_reason",
    "previous_hash",
    "hash",
)
_ARRAY_TYPES: dict[str, TypeEngine[Any]] = {"occurred_at": DateTime(timezone=True), "status": Integer()}
# On PostgreSQL the rows go as one array per column, unnested in step: one short statement, the same text
# for any number of rows, which the driver parses once and prepares. A multi-row VALUES list has a
# placeholder per value, too many for the driver to keep its parse, and parsing it again cost more than
# the rest of a worklist's read.
_PG_APPEND = insert(AuditEvent.__table__).from_select(  # type: ignore[attr-defined]
    list(_APPENDED),
    select(
        *(func.unnest(cast(bindparam(name), ARRAY(_ARRAY_TYPES.get(name, Text())))) for name in _APPENDED)
    ),
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
        if self.sqlite:
            # Many parameter sets for one compiled INSERT … RETURNING, which the engine sends as one multi-row
            # statement: a VALUES list compiled afresh for each request's rows cost more than the request did.
            await session.execute(_APPEND, rows)
        else:
            await session.execute(select(func.pg_advisory_xact_lock_shared(APPEND_LOCK_KEY)))
            await session.execute(_PG_APPEND, {name: [row[name] for row in rows] for name in _APPENDED})
        for outcome in outcomes:
            outcome.note.recorded = True

    def _row(
        self, principal: Principal, request_id: str, occurred_at: datetime, outcome: Outcome
    ) -> dict[str, object]:
        note = outcome.note
        row = fitted_values(
            {
                "occurred_at": occurred_at,
                "actor": principal.sub,
                "role": principal.role.value,
                "organisation": principal.organisation,
                "specialty": note.specialty or principal.specialty,
                "nhs_number": note.nhs_number,
                "purpose": note.purpose,
                "action": note.action,
                "outcome": outcome.outcome,
                "status": outcome.status,
                "request_id": request_id,
                "break_glass_reason": note.break_glass_reason,
                "access_basis": note.access_basis,
                "access_reason": note.access_reason,
                "previous_hash": secrets.token_hex(32),
            }
        )
        row["hash"] = values_hash(row, self.key)
        return row


async def events_for_patient(session: AsyncSession, nhs_number: str, *, limit: int) -> Sequence[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(col(AuditEvent.nhs_number) == nhs_number)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()
