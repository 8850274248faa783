"""The legitimate-relationship rule: a consultant reads a GP record only for a patient in their care.

A relationship is an open advice request or a clinic entry for the patient in the consultant's specialty.
The domains that create relationships register a check here; the record routes ask without knowing them.
Without a relationship the read is refused unless the caller gives a break-glass reason, which is allowed,
audited and flagged. A relationship the consultant made themselves, by putting the patient on a clinic
list by NHS number, is allowed too, but every read resting on it is flagged as consultant-initiated, with
the reason they gave, in the audit trail the patient's practice reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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

RelationshipCheck = Callable[[AsyncSession, str, str], Awaitable[CareRelationship | None]]

_CHECKS: list[RelationshipCheck] = []


def register_relationship_check(check: RelationshipCheck) -> None:
    if check not in _CHECKS:
        _CHECKS.append(check)


async def has_relationship(session: AsyncSession, specialty: str, nhs_number: str) -> bool:
    return await care_relationship(session, specialty, nhs_number) is not None


async def care_relationship(
    session: AsyncSession, specialty: str, nhs_number: str
) -> CareRelationship | None:
    """The patient's relationship with the specialty, preferring one the practice asked for."""
    found: CareRelationship | None = None
    for check in _CHECKS:
        relationship = await check(session, specialty, nhs_number)
        if relationship is not None and relationship.rank == 0:
            return relationship
        if relationship is not None and (found is None or relationship.rank < found.rank):
            found = relationship
    return found


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
