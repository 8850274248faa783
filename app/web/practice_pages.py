"""The practice's own page for its GPs: its advice requests and the consultants' replies, and the close-out.

A GP sees only their own practice (least privilege: another practice's page is 403). Every read goes through
the advice services the API uses and is audited as the API's list is; acknowledging goes through the API's
own service function, with a CSRF token, an idempotency key made when the page was drawn, and a 303 back.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from app.advice.access import etag, visible_request
from app.advice.idempotency import IdempotentWrite, replay_if_seen, respond_once
from app.advice.public import response_public, state_public, summary_public
from app.advice.service import CloseOut, acknowledge_advice, list_advice_requests, responses_of
from app.attachments.service import attachment_public, attachments_of
from app.audit.service import AuditNote
from app.core.cursors import CURSOR_MAX_LENGTH
from app.core.deps import AuditedSessionDep, SessionDep, audited
from app.core.params import AdviceRequestIdPath
from app.records.practices import PracticeConfig
from app.specialties.registry import SPECIALTIES
from app.web.advice_form import form_field
from app.web.close_out import (
    CLOSE_OUT_QUESTIONS,
    COURSE_OF_ACTION_WORDS,
    REFERRAL_AVOIDED_CHOICES,
    REFERRAL_OUTCOME_WORDS,
    close_out_from_form,
)
from app.web.csrf import CsrfChecked
from app.web.errors import PAGE_TAG
from app.web.practice_access import OdsPath, require_own_practice
from app.web.practice_follow_up import closed_by_words, practice_actions, specialty_title
from app.web.practice_names import patient_names
from app.web.session import GpPageDep
from app.web.templating import render
from app.web.turnaround import turnaround
from schemas.api.advice import AdviceRequestSummary, AdviceResponsePublic
from schemas.api.attachments import AttachmentPublic

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)

REQUESTS_PER_PAGE = 20
READ_PURPOSE = "read the practice's advice requests"


@dataclass(frozen=True, slots=True)
class PracticeRequest:
    """One request as the practice's page shows it: the question, the replies, the files and the wait."""

    request: AdviceRequestSummary
    specialty_title: str
    patient_name: str | None
    responses: list[AdviceResponsePublic]
    attachments: list[AttachmentPublic]
    turnaround: str
    criteria_titles: list[str] | None


def practice_of(request: Request, ods: str) -> PracticeConfig | None:
    practice: PracticeConfig | None = request.app.state.practices.practices.get(ods)
    return practice


@router.get("/practice")
async def own_practice_page(viewer: GpPageDep) -> Response:
    """The GP's own practice page."""
    return RedirectResponse(f"/practices/{viewer.ods}", status_code=303)


@router.get("/practices/{ods}")
async def practice_page(
    request: Request,
    ods: OdsPath,
    note: Annotated[AuditNote, Depends(audited(READ_PURPOSE))],
    viewer: GpPageDep,
    session: SessionDep,
    after: Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> Response:
    """The practice's advice requests, oldest first and paged, each with its replies and turnaround."""
    require_own_practice(viewer, ods)
    rows, next_cursor = await list_advice_requests(
        session, viewer=viewer, after=after, limit=REQUESTS_PER_PAGE
    )
    now = request.app.state.clock()
    shown = [
        (
            summary_public(row),
            [response_public(r) for r in await responses_of(session, row.id)],
            [attachment_public(a) for a in await attachments_of(session, row.id)],
        )
        for row in rows
    ]
    actions = await practice_actions(session, viewer=viewer, ods=ods)
    # The practice may take seconds to answer; the database connection is not held while it does.
    await session.commit()
    wanted = [*(row.nhs_number for row in rows), *actions.nhs_numbers()]
    names = await patient_names(request.app.state.practices, ods, wanted)
    requests = [
        PracticeRequest(
            request=summary,
            specialty_title=specialty_title(summary.specialty),
            patient_name=names.get(summary.nhs_number),
            responses=responses,
            attachments=attachments,
            turnaround=turnaround(summary.created_at, summary.advice_given_at, now),
            criteria_titles=_criteria_titles(summary.specialty, summary.criteria_met),
        )
        for summary, responses, attachments in shown
    ]
    context = {
        "viewer": viewer,
        "ods": ods,
        "practice": practice_of(request, ods),
        "requests": requests,
        "next_cursor": next_cursor,
        "first_page": after is None,
        "referral_avoided_choices": REFERRAL_AVOIDED_CHOICES,
        "close_out_questions": CLOSE_OUT_QUESTIONS,
        "course_of_action_words": COURSE_OF_ACTION_WORDS,
        "referral_outcome_words": REFERRAL_OUTCOME_WORDS,
        "idempotency_key": uuid.uuid4().hex,
        "acknowledged": request.query_params.get("acknowledged"),
        "done": request.query_params.get("done"),
        "actions": actions,
        "names": names,
        "closed_by_words": closed_by_words,
        "specialty_title": specialty_title,
        "asked": request.query_params.get("asked"),
    }
    return render(request, "practice.html", context)


def _criteria_titles(specialty: str, codes: list[str] | None) -> list[str] | None:
    """The criteria met when the request was made, by their titles; None when they were not known."""
    if codes is None:
        return None
    found = SPECIALTIES.get(specialty)
    titles = {c.code: c.title for c in found.referral_criteria} if found is not None else {}
    return [titles.get(code, code) for code in codes]


@router.post("/practices/{ods}/advice-requests/{advice_request_id}/acknowledgement", status_code=303)
async def acknowledge_from_page(
    request: Request,
    ods: OdsPath,
    advice_request_id: AdviceRequestIdPath,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("acknowledge specialist advice"))],
    viewer: GpPageDep,
    session: AuditedSessionDep,
) -> Response:
    """Acknowledges the advice with the close-out answers, as the API does, then shows the practice page."""
    require_own_practice(viewer, ods)
    form = await request.form()
    advice_request = await visible_request(session, viewer, advice_request_id, for_update=True)
    note.nhs_number = advice_request.nhs_number
    submission = close_out_from_form(form)
    write = IdempotentWrite(
        principal=viewer.sub,
        key=form_field(form, "idempotency_key"),
        route=f"POST /v1/advice-requests/{advice_request.id}/acknowledgement (page)",
        request_hash=hashlib.sha256(submission.model_dump_json().encode()).hexdigest(),
    )
    done = RedirectResponse(
        f"/practices/{ods}?acknowledged={advice_request.id}#request-{advice_request.id}", status_code=303
    )
    if await replay_if_seen(session, write) is not None:
        return done
    # The same service as the API, with the answers as the API reads them (referral_avoided as implied).
    await acknowledge_advice(
        session, advice_request=advice_request, by=viewer, close_out=CloseOut.of(submission)
    )
    await respond_once(
        session, write, status=200, body=state_public(advice_request), headers={"ETag": etag(advice_request)}
    )
    return done
