"""The legitimate-relationship rule: a consultant reads a GP record only for a patient in their care.

A relationship is an open advice request or a clinic entry for the patient in the consultant's specialty.
The domains that create relationships register a check here; the record routes ask without knowing them.
Without a relationship the read is refused unless the caller gives a break-glass reason, which is allowed,
audited and flagged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.core.errors import Forbidden

RelationshipCheck = Callable[[AsyncSession, str, str], Awaitable[bool]]

_CHECKS: list[RelationshipCheck] = []


def register_relationship_check(check: RelationshipCheck) -> None:
    if check not in _CHECKS:
        _CHECKS.append(check)


async def has_relationship(session: AsyncSession, specialty: str, nhs_number: str) -> bool:
    for check in _CHECKS:
        if await check(session, specialty, nhs_number):
            return True
    return False


async def require_record_access(
    session: AsyncSession, principal: Principal, specialty: str, nhs_number: str, note: AuditNote
) -> None:
    if principal.role is not Role.CONSULTANT or principal.specialty != specialty:
        raise Forbidden(f"only {specialty} consultants may read this summary")
    if await has_relationship(session, specialty, nhs_number):
        note.break_glass_reason = None
        return
    if note.break_glass_reason is None:
        raise Forbidden(
            "no open advice request or clinic entry for this patient in your specialty; "
            "give a break-glass reason (X-Break-Glass-Reason) if you must read the record"
        )
    note.purpose = f"{note.purpose} (break glass)"
