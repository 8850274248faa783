"""The specialties and their patient summaries."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from app.access.relationships import require_record_access
from app.audit.service import AuditNote
from app.core.deps import PrincipalDep, SessionDep, SettingsDep, audited
from app.core.openapi import problem_responses
from app.core.params import NhsNumberPath, SpecialtyCodePath
from app.records.cache import record_cache
from app.specialties.base import Specialty
from app.specialties.registry import SPECIALTIES, get_specialty
from app.specialties.service import build_summary_for
from schemas.api.specialties import CriterionPublic, FollowUpActionPublic, SpecialtyPublic

router = APIRouter(prefix="/v1", tags=["specialties"])

SUMMARY_MODELS: Any = tuple(specialty.summary_model for specialty in SPECIALTIES.values())


def specialty_public(specialty: Specialty) -> SpecialtyPublic:
    return SpecialtyPublic(
        code=specialty.code,
        title=specialty.title,
        description=specialty.description,
        referral_criteria=[CriterionPublic.model_validate(asdict(c)) for c in specialty.referral_criteria],
        advice_outcomes=list(specialty.advice_outcomes),
        follow_up_actions=[
            FollowUpActionPublic.model_validate(asdict(a)) for a in specialty.follow_up_actions
        ],
    )


@router.get("/specialties", response_model=list[SpecialtyPublic], responses=problem_responses(401))
async def list_specialties(_principal: PrincipalDep) -> list[SpecialtyPublic]:
    """The specialty modules this service offers, with their referral criteria and follow-up actions."""
    return [specialty_public(specialty) for specialty in SPECIALTIES.values()]


@router.get(
    "/patients/{nhs_number}/summaries/{specialty}",
    response_model=SUMMARY_MODELS[0] if len(SUMMARY_MODELS) == 1 else None,
    responses=problem_responses(401, 403, 404, 422, 502, 503, 504),
)
async def read_summary(
    request: Request,
    nhs_number: NhsNumberPath,
    specialty: SpecialtyCodePath,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    note: Annotated[AuditNote, Depends(audited("read a specialty summary"))],
) -> Any:
    """The specialty's summary of the patient from the GP record, fetched within the record cache's TTL."""
    plugin = get_specialty(specialty)
    await require_record_access(session, principal, plugin.code, nhs_number, note)
    await session.commit()
    now: datetime = request.app.state.clock()
    return await build_summary_for(
        network=request.app.state.practices,
        specialty=plugin,
        nhs_number=nhs_number,
        now=now,
        egfr_equation=settings.egfr_equation,
        records=record_cache(request.app),
    )
