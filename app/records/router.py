"""Patient registrations for the ``registry`` directory: which practice a patient is registered with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.core.deps import AuditedSessionDep, SessionDep, audited, require_roles
from app.core.errors import NotFound
from app.core.openapi import problem_responses
from app.core.params import NhsNumberPath
from app.records.registry import PatientRegistration, record_registration
from schemas.api.registrations import RegistrationPublic, RegistrationUpdate

router = APIRouter(prefix="/v1/registrations", tags=["registrations"])

AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def _public(registration: PatientRegistration) -> RegistrationPublic:
    return RegistrationPublic.model_validate(registration, from_attributes=True)


@router.get(
    "/{nhs_number}", response_model=RegistrationPublic, responses=problem_responses(401, 403, 404, 422)
)
async def read_registration(
    nhs_number: NhsNumberPath,
    _admin: AdminDep,
    session: SessionDep,
    _note: Annotated[AuditNote, Depends(audited("read a patient registration"))],
) -> RegistrationPublic:
    """The practice the registry records for the patient."""
    registration = await session.get(PatientRegistration, nhs_number)
    if registration is None:
        raise NotFound("the registry has no registration for this patient")
    return _public(registration)


@router.put(
    "/{nhs_number}", response_model=RegistrationPublic, responses=problem_responses(401, 403, 415, 422)
)
async def record_patient_registration(
    request: Request,
    nhs_number: NhsNumberPath,
    update: RegistrationUpdate,
    admin: AdminDep,
    session: AuditedSessionDep,
    _note: Annotated[AuditNote, Depends(audited("record a patient registration"))],
) -> RegistrationPublic:
    """Records (or moves) the patient's registration with a practice."""
    now: datetime = request.app.state.clock()
    registration = await record_registration(
        session, nhs_number=nhs_number, practice_ods=update.practice_ods, updated_by=admin.sub, at=now
    )
    return _public(registration)
