"""API models of the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, field_validator


class AuditEventPublic(BaseModel):
    id: int
    occurred_at: datetime
    actor: str
    role: str
    organisation: str | None
    specialty: str | None
    nhs_number: str | None
    purpose: str
    action: str
    outcome: str
    status: int
    request_id: str
    break_glass_reason: str | None
    access_basis: str | None = Field(
        description="`consultant-initiated` when the access rests on a clinic entry the consultant made by "
        "NHS number, with no advice request from the practice behind it; `case-finding` when it rests on an "
        "entry added from a case finding (a search of the practice's population)"
    )
    access_reason: str | None = Field(
        description="The reason the consultant gave for that entry, or the case-finding rules that found them"
    )
    hash: str

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # Every stored time is UTC; SQLite hands it back without its zone.
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class AuditTrailPublic(BaseModel):
    nhs_number: str
    events: list[AuditEventPublic]
