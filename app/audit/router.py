"""``GET /v1/audit``: who accessed a patient's record, for admins and the patient's own practice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.audit.service import AuditNote, events_for_patient
from app.auth.principal import Role
from app.core.deps import PrincipalDep, SessionDep, audited
from app.core.errors import Forbidden
from app.core.openapi import problem_responses
from app.core.params import NhsNumberQuery
from app.records.ports import PatientDirectory
from schemas.api.audit import AuditEventPublic, AuditTrailPublic

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "", response_model=AuditTrailPublic, responses=problem_responses(401, 403, 404, 422, 502, 503, 504)
)
async def read_audit_trail(
    request: Request,
    nhs_number: NhsNumberQuery,
    principal: PrincipalDep,
    session: SessionDep,
    note: Annotated[AuditNote, Depends(audited("read the audit trail"))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> AuditTrailPublic:
    """Audit events for one patient, newest first."""
    note.nhs_number = nhs_number
    if principal.role is not Role.ADMIN:
        directory: PatientDirectory = request.app.state.directory
        if not principal.is_practice or await directory.registered_practice(nhs_number) != principal.ods:
            raise Forbidden("only admins and the patient's registered practice may read this audit trail")
    events = await events_for_patient(session, nhs_number, limit=limit)
    return AuditTrailPublic(
        nhs_number=nhs_number,
        events=[AuditEventPublic.model_validate(e, from_attributes=True) for e in events],
    )
