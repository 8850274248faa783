"""The clinic API: open a clinic session, put patients on its list or take them off, read its worklist.

Consultants work with their own specialty's clinics and admins with all; no practice sees them. Closing a
clinic ends the session: its list no longer changes. Importing this module registers the relationship a clinic
entry gives; including its router brings the worklist's practice bounds into the app's lifespan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request, Response

from app.access.relationships import register_relationship_source
from app.advice.responses import practice_today
from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.clinics.audit import WORKLIST_PURPOSE, audited_worklist_rows
from app.clinics.public import clinic_detail_public, clinic_public, entry_public, worklist_public
from app.clinics.service import (
    ENTRY_IN_SPECIALTY,
    add_clinic_entry,
    clinic_for,
    close_clinic_for,
    create_clinic,
    entries_of,
    list_clinics,
    take_off_list,
)
from app.clinics.worklist import WorklistSummaries
from app.core.config import Settings
from app.core.deps import AuditedSessionDep, SessionDep, audited, require_roles
from app.core.openapi import problem_responses
from app.core.params import ClinicIdPath, EntryIdPath
from app.follow_up.service import overdue_counts
from app.records.cache import record_cache
from schemas.api.clinics import (
    ClinicCreate,
    ClinicDetailPublic,
    ClinicEntryCreate,
    ClinicEntryForPatient,
    ClinicEntryPublic,
    ClinicPublic,
    ClinicStatus,
    WorklistPublic,
)


@asynccontextmanager
async def worklist_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One set of practice bounds for every worklist the app serves, reading through the record cache."""
    settings: Settings = app.state.settings
    app.state.worklist_summaries = WorklistSummaries(
        practice_concurrency=settings.clinic_practice_concurrency,
        records=record_cache(app),
        # Read on every call, so a clock swapped into the app (tests, simulations) is the one used.
        clock=lambda: app.state.clock(),
        specialty_settings=lambda: app.state.specialty_settings,
    )
    yield


router = APIRouter(prefix="/v1/clinics", tags=["clinics"], lifespan=worklist_lifespan)

register_relationship_source(ENTRY_IN_SPECIALTY)

ClinicianDep = Annotated[Principal, Depends(require_roles(Role.CONSULTANT, Role.ADMIN))]
ClinicId = ClinicIdPath
EntryId = EntryIdPath

_LOCATION = {"Location": {"description": "The new clinic", "schema": {"type": "string"}}}


@router.post(
    "",
    status_code=201,
    response_model=ClinicPublic,
    responses={201: {"headers": _LOCATION}, **problem_responses(401, 403, 415, 422, 503)},
)
async def open_clinic(
    request: Request,
    response: Response,
    submission: ClinicCreate,
    note: Annotated[AuditNote, Depends(audited("open a clinic"))],
    author: ClinicianDep,
    session: AuditedSessionDep,
) -> ClinicPublic:
    """Open a virtual clinic session for a consultant of the specialty (its consultants and admins)."""
    clinic = await create_clinic(session, author=author, submission=submission, now=request.app.state.clock())
    response.headers["Location"] = f"/v1/clinics/{clinic.id}"
    return clinic_public(clinic)


@router.get("", response_model=list[ClinicPublic], responses=problem_responses(401, 403, 422, 503))
async def browse_clinics(
    viewer: ClinicianDep,
    session: SessionDep,
    on: Annotated[dt.date | None, Query(alias="date", description="Only clinics on this day")] = None,
    status: Annotated[ClinicStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ClinicPublic]:
    """Clinics of the consultant's specialty (every specialty for admins), the latest day first."""
    clinics = await list_clinics(session, viewer=viewer, on=on, status=status, limit=limit)
    return [clinic_public(clinic) for clinic in clinics]


@router.get(
    "/{clinic_id}", response_model=ClinicDetailPublic, responses=problem_responses(401, 403, 404, 422, 503)
)
async def read_clinic(
    clinic_id: ClinicId,
    note: Annotated[AuditNote, Depends(audited("read a clinic list"))],
    viewer: ClinicianDep,
    session: SessionDep,
) -> ClinicDetailPublic:
    """The clinic and every entry on its list, in list order."""
    clinic = await clinic_for(session, viewer, clinic_id)
    return clinic_detail_public(clinic, await entries_of(session, clinic.id))


@router.post(
    "/{clinic_id}/entries",
    status_code=201,
    response_model=ClinicEntryPublic,
    responses=problem_responses(401, 403, 404, 409, 415, 422, 502, 503, 504),
)
async def add_patient_to_clinic(
    request: Request,
    clinic_id: ClinicId,
    submission: Annotated[ClinicEntryCreate, Body()],
    note: Annotated[AuditNote, Depends(audited("add a patient to a clinic"))],
    author: ClinicianDep,
    session: AuditedSessionDep,
) -> ClinicEntryPublic:
    """Put a patient at the end of the list: an open advice request's patient, or an NHS number and reason.

    An entry by NHS number is a consultant-initiated access: its reason needs at least three words and 15
    characters, and the adding, and every summary read resting on the entry, is flagged with that reason in
    the audit trail the patient's practice reads.
    """
    if isinstance(submission, ClinicEntryForPatient):
        note.nhs_number = submission.nhs_number
        # No advice request stands behind it: the consultant opens this record on their own word.
        note.consultant_initiated(submission.reason)
    clinic = await clinic_for(session, author, clinic_id, for_update=True)
    entry = await add_clinic_entry(
        session,
        clinic=clinic,
        author=author,
        submission=submission,
        network=request.app.state.practices,
        now=request.app.state.clock(),
    )
    note.nhs_number = entry.nhs_number
    return entry_public(entry)


@router.delete(
    "/{clinic_id}/entries/{entry_id}",
    response_model=ClinicEntryPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def remove_patient_from_clinic(
    clinic_id: ClinicId,
    entry_id: EntryId,
    note: Annotated[AuditNote, Depends(audited("remove a patient from a clinic"))],
    author: ClinicianDep,
    session: AuditedSessionDep,
) -> ClinicEntryPublic:
    """Take a patient off an open clinic's list: 200 with the entry, kept as removed; again is a no-op."""
    entry = await take_off_list(session, viewer=author, clinic_id=clinic_id, entry_id=entry_id, note=note)
    return entry_public(entry)


@router.post(
    "/{clinic_id}/close",
    response_model=ClinicPublic,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def close_clinic_session(
    clinic_id: ClinicId,
    note: Annotated[AuditNote, Depends(audited("close a clinic"))],
    author: ClinicianDep,
    session: AuditedSessionDep,
) -> ClinicPublic:
    """End the session: its list no longer changes nor opens records; closing again changes nothing."""
    return clinic_public(await close_clinic_for(session, viewer=author, clinic_id=clinic_id))


@router.get(
    "/{clinic_id}/worklist",
    response_model=WorklistPublic,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def read_worklist(
    request: Request,
    clinic_id: ClinicId,
    note: Annotated[AuditNote, Depends(audited(WORKLIST_PURPOSE))],
    viewer: ClinicianDep,
    session: SessionDep,
) -> WorklistPublic:
    """The patients on the list in order, each with their summary's highlights or why it is unavailable."""
    clinic = await clinic_for(session, viewer, clinic_id)
    entries = await entries_of(session, clinic.id, active_only=True)
    overdue = await overdue_counts(
        session,
        specialty=clinic.specialty,
        nhs_numbers=[e.nhs_number for e in entries],
        today=practice_today(),
    )
    # The practices may take seconds to answer; the database connection is not held while they do.
    await session.commit()
    rows = await audited_worklist_rows(request, viewer=viewer, note=note, clinic=clinic, entries=entries)
    return worklist_public(clinic, rows, overdue=overdue)
