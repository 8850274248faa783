"""API models of the audit trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


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
    hash: str


class AuditTrailPublic(BaseModel):
    nhs_number: str
    events: list[AuditEventPublic]
