"""The legitimate-relationship rule: a consultant reads a GP record only for a patient in their care.

A relationship is an open advice request or a clinic entry for the patient in the consultant's specialty.
The domains that create relationships register a check here; the record routes ask without knowing them.
Without a relationship the read is refused unless the caller gives a break-glass reason, which is allowed,
audited and flagged. A relationship the consultant made themselves, by putting the patient on a clinic
list by NHS number, is allowed too, but every read resting on it is flagged as consultant-initiated, with
the reason they gave, in the audit trail the patient's practice reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.core.errors import Forbidden


@dataclass(frozen=True, slots=True)
class CareRelationship:
    """What puts the patient in the specialty's care; the reason is set when the consultant put them there,
    and ``case_finding`` (the rules found) when a practice search found them and they were put on a list."""

    consultant_initiated_reason: str | None = None
    case_finding: str | None = None

    @property
    def rank(self) -> int:
        """The practice's asking first, then a practice search's finding, then the consultant's own word."""
        if self.consultant_initiated_reason is not None:
            return 2
        return 1 if self.case_finding is not None else 0


# The practice asked: an open advice request, or a clinic entry made from one.
ASKED_BY_PRACTICE = CareRelationship()


# A source's rows: (rank, detail, since), each labelled so.
RelationshipRows = Select[*tuple[Any, ...]]


class RelationshipSource:
    """One domain's relationships, as rows of the one query every record read makes.

    ``rows(specialty, nhs_number)`` selects the patient's relationships of this kind as ``(rank, detail,
    since)``: the rank a :class:`CareRelationship` would have, text the relationship is made from, and when it
    began (the earliest is preferred within a rank). ``relationship(rank, detail)`` makes it from its row.
    The record routes ask for every source's rows together, so a read costs one query however many domains
    give relationships, and a domain's own check asks for its rows alone.
    """

    def __init__(
        self,
        rows: Callable[[str, str], RelationshipRows],
        relationship: Callable[[int, str | None], CareRelationship],
    ) -> None:
        self.rows = rows
        self.relationship = relationship

    async def first(self, session: AsyncSession, specialty: str, nhs_number: str) -> CareRelationship | None:
        """The patient's relationship of this kind with the specialty, the lowest rank and earliest first."""
        rows = self.rows(specialty, nhs_number).subquery()
        found = (
            await session.execute(
                select(rows.c.rank, rows.c.detail).order_by(rows.c.rank, rows.c.since).limit(1)
            )
        ).first()
        return None if found is None else self.relationship(found.rank, found.detail)


_SOURCES: list[RelationshipSource] = []


def register_relationship_source(source: RelationshipSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


async def has_relationship(session: AsyncSession, specialty: str, nhs_number: str) -> bool:
    return await care_relationship(session, specialty, nhs_number) is not None


async def care_relationship(
    session: AsyncSession, specialty: str, nhs_number: str
) -> CareRelationship | None:
    """The patient's relationship with the specialty, preferring one the practice asked for; one query."""
    if not _SOURCES:
        return None
    branches = [
        source.rows(specialty, nhs_number).add_columns(literal_column(str(index)).label("source"))
        for index, source in enumerate(_SOURCES)
    ]
    rows = union_all(*branches).subquery()
    query = select(rows.c.source, rows.c.rank, rows.c.detail).order_by(rows.c.rank, rows.c.since).limit(1)
    found = (await session.execute(query)).first()
    if found is None:
        return None
    return _SOURCES[int(found.source)].relationship(found.rank, found.detail)


async def require_record_access(
    session: AsyncSession, principal: Principal, specialty: str, nhs_number: str, note: AuditNote
) -> None:
    if principal.role is not Role.CONSULTANT or principal.specialty != specialty:
        raise Forbidden(f"only {specialty} consultants may read this summary")
    relationship = await care_relationship(session, specialty, nhs_number)
    if relationship is not None:
        note.break_glass_reason = None
        if relationship.consultant_initiated_reason is not None:
            note.consultant_initiated(relationship.consultant_initiated_reason)
        elif relationship.case_finding is not None:
            note.found_by_case_finding(relationship.case_finding)
        return
    if note.break_glass_reason is None:
        raise Forbidden(
            "no open advice request or clinic entry for this patient in your specialty; "
            "give a break-glass reason (X-Break-Glass-Reason) if you must read the record"
        )
    note.purpose = f"{note.purpose} (break glass)"
