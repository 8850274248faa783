"""The specialties and their patient summaries.

The router is built when the app is, from the specialties registered then: the summary route's response is
one named model per specialty, told apart by ``specialty`` (a ``oneOf`` with a discriminator in OpenAPI),
so a generated client gets typed summaries and a new specialty needs no change here.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from app.access.relationships import require_record_access
from app.audit.service import AuditNote
from app.core.deps import PrincipalDep, SessionDep, audited
from app.core.openapi import problem_responses
from app.core.params import NhsNumberPath, SpecialtyCodePath
from app.follow_up.checks import close_actions_shown_done
from app.records.cache import record_cache
from app.records.service import fetch_clinical_record
from app.specialties.base import Specialty
from app.specialties.registry import SPECIALTIES, get_specialty
from app.specialties.service import kept_summary
from schemas.api.specialties import CriterionPublic, FollowUpActionPublic, SpecialtyPublic


def summary_response_model() -> Any:
    """One named model per registered specialty, told apart by ``specialty``: a ``oneOf`` in OpenAPI."""
    models = tuple(dict.fromkeys(specialty.summary_model for specialty in SPECIALTIES.values()))
    if len(models) == 1:
        return models[0]
    return Annotated[reduce(or_, models), Field(discriminator="specialty")]


def specialty_public(specialty: Specialty) -> SpecialtyPublic:
    return SpecialtyPublic(
        code=specialty.code,
        title=specialty.title,
        description=specialty.description,
        referral_criteria=[CriterionPublic.model_validate(asdict(c)) for c in specialty.referral_criteria],
        advice_outcomes=list(specialty.advice_outcomes),
        follow_up_actions=[
            FollowUpActionPublic(
                code=a.code,
                title=a.title,
                default_due_days=a.default_due_days,
                satisfied_by=[sorted(group) for group in a.satisfied_by],
            )
            for a in specialty.follow_up_actions
        ],
    )


async def list_specialties(_principal: PrincipalDep) -> list[SpecialtyPublic]:
    """The specialty modules this service offers, with their referral criteria and follow-up actions."""
    return [specialty_public(specialty) for specialty in SPECIALTIES.values()]


async def read_summary(
    request: Request,
    nhs_number: NhsNumberPath,
    specialty: SpecialtyCodePath,
    principal: PrincipalDep,
    session: SessionDep,
    note: Annotated[AuditNote, Depends(audited("read a specialty summary"))],
) -> Any:
    """The specialty's summary of the patient from the GP record, fetched within the record cache's TTL."""
    plugin = get_specialty(specialty)
    note.specialty = plugin.code
    await require_record_access(session, principal, plugin.code, nhs_number, note)
    await session.commit()
    now: datetime = request.app.state.clock()
    records = record_cache(request.app)
    record = await fetch_clinical_record(
        request.app.state.practices, nhs_number, plugin.needs, today=now.date(), records=records
    )
    await close_actions_shown_done(
        session, request.app.state.audit_log, record, specialty=plugin, nhs_number=nhs_number, now=now
    )
    return kept_summary(
        plugin,
        record,
        nhs_number=nhs_number,
        now=now,
        specialty_settings=request.app.state.specialty_settings,
        records=records,
    )


def specialties_router() -> APIRouter:
    """The specialty routes, typed by the specialties registered when it is called."""
    router = APIRouter(prefix="/v1", tags=["specialties"])
    router.get("/specialties", response_model=list[SpecialtyPublic], responses=problem_responses(401))(
        list_specialties
    )
    router.get(
        "/patients/{nhs_number}/summaries/{specialty}",
        response_model=summary_response_model(),
        responses=problem_responses(401, 403, 404, 422, 502, 503, 504),
    )(read_summary)
    return router
