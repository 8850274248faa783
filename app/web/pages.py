"""The consultant's pages: their clinics, a clinic's worklist, and a patient's summary with the advice form.

Each page reads through the same services as the API and is audited like it: the worklist leaves an event
per patient, the patient view one for the record it reads, and both keep the relationship rule. The
worklist's buttons take a patient off the list and close the clinic through the API's own services too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from app.access.relationships import require_record_access
from app.advice.access import visible_request
from app.advice.models import AdviceRequest
from app.advice.public import response_public, summary_public
from app.advice.responses import practice_today
from app.advice.service import list_advice_requests, responses_of
from app.attachments.service import attachment_public, attachments_of
from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.clinics.audit import WORKLIST_PURPOSE, audited_worklist_rows
from app.clinics.models import Clinic
from app.clinics.public import clinic_public, worklist_public
from app.clinics.service import clinic_for, close_clinic_for, entries_of, list_clinics, take_off_list
from app.core.deps import AuditedSessionDep, SessionDep, audited
from app.core.errors import NotFound
from app.core.params import ClinicIdPath, EntryIdPath, NhsNumberPath
from app.follow_up.service import overdue_counts
from app.outbox.service import delivery_status_for
from app.specialties.registry import get_specialty
from app.specialties.service import build_summary_for
from app.web.case_finding_pages import searchable_practices
from app.web.csrf import CsrfChecked
from app.web.errors import PAGE_TAG
from app.web.patient_context import list_progress, referral_of
from app.web.session import ConsultantPageDep, PageUserDep, home_of
from app.web.summary_view import summary_view
from app.web.templating import render
from app.web.worklist_view import row_state
from schemas.advice import AdviceRecommendation
from schemas.api.advice import AdviceRequestSummary, AdviceResponsePublic, AdviceStatus
from schemas.api.attachments import AttachmentPublic
from schemas.api.outbox import DeliveryStatusPublic

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)

ClinicId = ClinicIdPath
EntryId = EntryIdPath
READ_SUMMARY_PURPOSE = "read a specialty summary"
# The consultant may answer a request awaiting review, and re-issue advice already given.
ANSWERABLE = frozenset({AdviceStatus.AWAITING_REVIEW, AdviceStatus.ADVICE_GIVEN})


@dataclass(frozen=True, slots=True)
class AdviceHistory:
    request: AdviceRequestSummary
    context: dict[str, Any] | None
    responses: list[AdviceResponsePublic]
    delivery: list[DeliveryStatusPublic]
    attachments: list[AttachmentPublic]


@router.get("/")
async def clinic_list_page(request: Request, viewer: PageUserDep, session: SessionDep) -> Response:
    """The consultant's clinics, the latest day first, and the practices they may search; a GP's register."""
    if viewer.role is not Role.CONSULTANT:
        return RedirectResponse(home_of(viewer), status_code=303)
    clinics = [clinic_public(clinic) for clinic in await list_clinics(session, viewer=viewer, limit=50)]
    today = request.app.state.clock().date()
    context = {
        "viewer": viewer,
        "clinics": clinics,
        "today": today,
        "practices": searchable_practices(request),
    }
    return render(request, "clinics.html", context)


@router.get("/clinics/{clinic_id}")
async def worklist_page(
    request: Request,
    clinic_id: ClinicId,
    note: Annotated[AuditNote, Depends(audited(WORKLIST_PURPOSE))],
    viewer: ConsultantPageDep,
    session: SessionDep,
) -> Response:
    """The clinic's worklist: each patient with their summary's highlights, or which practice failed."""
    clinic = await clinic_for(session, viewer, clinic_id)
    entries = await entries_of(session, clinic.id, active_only=True)
    questions = await _advice_requests_of(session, viewer, [e.advice_request_id for e in entries])
    overdue = await overdue_counts(
        session,
        specialty=clinic.specialty,
        nhs_numbers=[e.nhs_number for e in entries],
        today=practice_today(),
    )
    # The practices may take seconds to answer; the database connection is not held while they do.
    await session.commit()
    rows = await audited_worklist_rows(request, viewer=viewer, note=note, clinic=clinic, entries=entries)
    specialty = get_specialty(clinic.specialty)
    context = {
        "viewer": viewer,
        "worklist": worklist_public(clinic, rows, overdue=overdue),
        "advice_requests": questions,
        "criterion_titles": {c.code: c.title for c in specialty.referral_criteria},
        "row_state": row_state,
    }
    return render(request, "worklist.html", context)


async def _advice_requests_of(
    session: AsyncSession, viewer: Principal, ids: list[str | None]
) -> dict[str, AdviceRequest]:
    return {id_: await visible_request(session, viewer, id_) for id_ in ids if id_ is not None}


@router.get("/clinics/{clinic_id}/patients/{nhs_number}")
async def patient_page(
    request: Request,
    clinic_id: ClinicId,
    nhs_number: NhsNumberPath,
    note: Annotated[AuditNote, Depends(audited(READ_SUMMARY_PURPOSE))],
    viewer: ConsultantPageDep,
    session: SessionDep,
) -> Response:
    """The patient's specialty summary from the GP record, their advice requests, and the advice form."""
    clinic = await clinic_for(session, viewer, clinic_id)
    context = await patient_page_context(
        request, session, viewer=viewer, clinic=clinic, nhs_number=nhs_number, note=note
    )
    return render(request, "patient.html", context)


async def patient_page_context(
    request: Request,
    session: AsyncSession,
    *,
    viewer: Principal,
    clinic: Clinic,
    nhs_number: str,
    note: AuditNote,
) -> dict[str, Any]:
    """What the patient page shows, with an empty advice form; commits ``session`` before the record is read.

    The advice form shows the page again with what was typed, so both draw it from here.
    """
    specialty = get_specialty(clinic.specialty)
    await require_record_access(session, viewer, specialty.code, nhs_number, note)
    history = await _advice_history(session, viewer, specialty.code, nhs_number)
    entries = await entries_of(session, clinic.id, active_only=True)
    # The practice may take seconds to answer; the database connection is not held while it does.
    await session.commit()
    summary = await build_summary_for(
        network=request.app.state.practices,
        specialty=specialty,
        nhs_number=nhs_number,
        now=request.app.state.clock(),
        specialty_settings=request.app.state.specialty_settings,
    )
    answerable = next((h.request for h in reversed(history) if h.request.status in ANSWERABLE), None)
    asked = next(
        (h for h in reversed(history) if h.request.status in ANSWERABLE), history[-1] if history else None
    )
    today = practice_today()
    practices = request.app.state.practices.practices
    return {
        "viewer": viewer,
        "clinic": clinic_public(clinic),
        "specialty": specialty,
        "view": summary_view(summary, specialty),
        "referral": None if asked is None else referral_of(asked.request, asked.context, practices),
        "progress": list_progress(entries, nhs_number),
        "advice_sent": request.query_params.get("advice") == "sent",
        "history": history,
        "answerable": answerable,
        "outcomes": specialty.advice_outcomes,
        "recommendations": get_args(AdviceRecommendation),
        "actions": [
            (action, today + timedelta(days=action.default_due_days or 0))
            for action in specialty.follow_up_actions
        ],
        "idempotency_key": uuid.uuid4().hex,
        "today": today,
        "draft": None,
        "form_errors": {},
    }


async def _advice_history(
    session: AsyncSession, viewer: Principal, specialty: str, nhs_number: str
) -> list[AdviceHistory]:
    requests, _ = await list_advice_requests(
        session, viewer=viewer, specialty=specialty, nhs_number=nhs_number, limit=20
    )
    return [
        AdviceHistory(
            summary_public(advice_request),
            advice_request.context,
            [response_public(r) for r in await responses_of(session, advice_request.id)],
            await delivery_status_for(session, advice_request.id),
            [attachment_public(a) for a in await attachments_of(session, advice_request.id)],
        )
        for advice_request in requests
    ]


@router.get("/clinics/{clinic_id}/entries/{entry_id}/remove")
async def confirm_removal_page(
    request: Request, clinic_id: ClinicId, entry_id: EntryId, viewer: ConsultantPageDep, session: SessionDep
) -> Response:
    """Asks before a patient is taken off the list: where the page's script cannot ask, this page does."""
    clinic = await clinic_for(session, viewer, clinic_id)
    entries = await entries_of(session, clinic.id, active_only=True)
    entry = next((e for e in entries if e.id == entry_id), None)
    if entry is None:
        raise NotFound("no such patient on this clinic's list")
    context = {"viewer": viewer, "clinic": clinic_public(clinic), "entry": entry}
    return render(request, "confirm_remove.html", context)


@router.post("/clinics/{clinic_id}/entries/{entry_id}/remove", status_code=303)
async def remove_from_list_page(
    clinic_id: ClinicId,
    entry_id: EntryId,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("remove a patient from a clinic"))],
    viewer: ConsultantPageDep,
    session: AuditedSessionDep,
) -> Response:
    """Takes the patient off the list as the API does, then shows the worklist without them."""
    entry = await take_off_list(session, viewer=viewer, clinic_id=clinic_id, entry_id=entry_id, note=note)
    return RedirectResponse(f"/clinics/{entry.clinic_id}", status_code=303)


@router.post("/clinics/{clinic_id}/close", status_code=303)
async def close_clinic_page(
    clinic_id: ClinicId,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("close a clinic"))],
    viewer: ConsultantPageDep,
    session: AuditedSessionDep,
) -> Response:
    """Closes the clinic as the API does, then shows the clinic list, where it now reads closed."""
    await close_clinic_for(session, viewer=viewer, clinic_id=clinic_id)
    return RedirectResponse("/", status_code=303)
