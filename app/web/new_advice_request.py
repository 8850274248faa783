"""A GP asks for advice from the practice's page: the question, a preview of what the consultant will see,
then the request with its attachments.

The first step takes the patient, specialty, question, urgency and whether the provider may convert the
request into a referral; the preview checks them as the API does (``AdviceRequestCreate``), reads the
patient's record from the practice (the patient must be registered there) and shows the specialty summary
the consultant will see, with the referral criteria the patient meets, through the consultant's own panels.
When the record meets none, the preview asks why the practice asks outside the criteria. Sending then
creates the request as the API does: the criteria read and audited by ``criteria_at_submission``, with no
database connection held meanwhile, then the request through the API's service function and each file
through the attachments service, in one transaction with its audit event and its idempotency key: either
the request and every file are kept, or nothing is.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from contextlib import asynccontextmanager
from typing import Annotated, Any, get_args

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from app.advice.access import etag
from app.advice.criteria import criteria_at_submission, criteria_met_in, require_reason_outside_criteria
from app.advice.idempotency import IdempotentWrite, replay_if_seen, respond_once
from app.advice.public import state_public
from app.advice.service import create_advice_request
from app.attachments.service import AttachmentUpload, add_attachment
from app.audit.service import AuditNote
from app.auth.principal import Principal
from app.core.deps import SessionDep, audited, get_audited_session
from app.core.errors import Forbidden, ProblemError, Unprocessable
from app.records.cache import record_cache
from app.records.ports import UpstreamError
from app.records.service import registered_practice
from app.specialties.registry import SPECIALTIES, get_specialty
from app.specialties.service import build_summary_for
from app.web.advice_form import FieldError, form_field
from app.web.csrf import CsrfChecked
from app.web.errors import PAGE_TAG
from app.web.practice_access import OdsPath, require_own_practice
from app.web.practice_ask_form import (
    ASK_FIELDS,
    AUTHORISATION_ANSWERS,
    AUTHORISATION_QUESTION,
    REASON_FIELD,
    RequestDraft,
    RequestFormInvalid,
    draft_from_form,
    field_error,
    prefilled,
    submission_from_draft,
)
from app.web.practice_pages import practice_of
from app.web.session import GpPageDep
from app.web.summary_view import summary_view
from app.web.templating import render
from schemas.advice import Urgency
from schemas.api.advice import AdviceRequestCreate

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)

# Files one form may send; more can be added through the API while the request awaits review.
MAX_FILES_PER_FORM = 3
FORM_ROOM_BYTES = 64 * 1024
SEND_PATH = re.compile(r"/practices/[A-Z0-9]{3,10}/advice-requests")
PREVIEW_PURPOSE = "preview a specialty summary before asking for advice"
# Query values longer than this are not NHS numbers or specialty codes; they are not echoed back.
PREFILL_MAX_LENGTH = 64


def form_body_bounds(max_attachment_bytes: int) -> list[tuple[re.Pattern[str], int]]:
    """The request limits' allowance for the send step, which carries up to three files."""
    return [(SEND_PATH, MAX_FILES_PER_FORM * max_attachment_bytes + FORM_ROOM_BYTES)]


def _form_context(request: Request, viewer: Principal, ods: str, draft: RequestDraft) -> dict[str, Any]:
    return {
        "viewer": viewer,
        "ods": ods,
        "practice": practice_of(request, ods),
        "specialties": sorted((code, s.title) for code, s in SPECIALTIES.items()),
        "urgencies": get_args(Urgency),
        "authorisation_question": AUTHORISATION_QUESTION,
        "authorisation_answers": AUTHORISATION_ANSWERS,
        "draft": draft,
        "fields": ASK_FIELDS,
        "max_files": MAX_FILES_PER_FORM,
        "max_bytes": request.app.state.settings.attachment_max_bytes,
        "form_errors": {},
    }


def _query_value(value: str | None) -> str | None:
    """A prefill value as typed in the link; one too long to be a code is wrong, and not echoed."""
    if value is None or not value.strip():
        return None
    return value.strip() if len(value) <= PREFILL_MAX_LENGTH else "?"


@router.get("/practices/{ods}/advice-requests/new")
async def new_request_page(
    request: Request,
    ods: OdsPath,
    viewer: GpPageDep,
    nhs_number: Annotated[str | None, Query(description="Fills in the patient's NHS number")] = None,
    specialty: Annotated[str | None, Query(description="Fills in the specialty's code")] = None,
) -> Response:
    """The form for a new advice request, filled in from the link when it names the patient and specialty."""
    require_own_practice(viewer, ods)
    draft, errors = prefilled(_query_value(nhs_number), _query_value(specialty))
    context = _form_context(request, viewer, ods, draft) | {"form_errors": errors}
    return render(request, "practice_ask.html", context, status_code=422 if errors else 200)


async def _preview_context(
    request: Request, viewer: Principal, ods: str, draft: RequestDraft, submission: AdviceRequestCreate
) -> dict[str, Any]:
    """The preview of the request: the summary and criteria met, or that the record cannot be read now.

    Read through the app's record cache, which the criteria check at sending then shares. The patient must
    be registered at the practice (403 otherwise), the rule the request itself keeps.
    """
    network = request.app.state.practices
    if await registered_practice(network, submission.nhs_number) != ods:
        raise Forbidden("the patient is not registered at your practice")
    specialty = get_specialty(submission.specialty)
    context = _form_context(request, viewer, ods, draft) | {
        "specialty": specialty,
        "nhs_number": submission.nhs_number,
        "idempotency_key": uuid.uuid4().hex,
    }
    try:
        summary = await build_summary_for(
            network=network,
            specialty=specialty,
            nhs_number=submission.nhs_number,
            now=request.app.state.clock(),
            specialty_settings=request.app.state.specialty_settings,
            records=record_cache(request.app),
        )
    except UpstreamError:
        # Nothing a practice asks is lost because its system was slow: the request goes with its criteria
        # unknown, and the consultant reads the record when they review it.
        return context | {"view": None, "met": [], "criteria_met": None, "record_unreadable": True}
    return context | {
        "view": summary_view(summary, specialty),
        "met": [c for c in summary.referral_criteria if c.status == "met"],
        "criteria_met": criteria_met_in(specialty, summary),
        "record_unreadable": False,
    }


@router.post("/practices/{ods}/advice-requests/preview")
async def preview_request_page(
    request: Request,
    ods: OdsPath,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited(PREVIEW_PURPOSE))],
    viewer: GpPageDep,
    session: SessionDep,
) -> Response:
    """What the consultant will see of the patient, and the criteria they meet; then the request is sent."""
    require_own_practice(viewer, ods)
    draft = draft_from_form(await request.form())
    try:
        submission = submission_from_draft(draft, viewer)
    except RequestFormInvalid as invalid:
        context = _form_context(request, viewer, ods, draft) | {"form_errors": invalid.errors}
        return render(request, "practice_ask.html", context, status_code=422)
    note.nhs_number, note.specialty = submission.nhs_number, submission.specialty
    # The practice may take seconds to answer; the database connection is not held while it does.
    await session.commit()
    context = await _preview_context(request, viewer, ods, draft, submission)
    return render(request, "practice_ask_preview.html", context)


def _files(form: FormData) -> list[UploadFile]:
    """The files chosen; an empty file input still sends a part with no name and no bytes."""
    return [f for f in form.getlist("attachment") if isinstance(f, UploadFile) and f.filename]


async def _uploads(form: FormData) -> list[AttachmentUpload]:
    files = _files(form)
    if len(files) > MAX_FILES_PER_FORM:
        raise TooManyFiles(f"attach at most {MAX_FILES_PER_FORM} files here; add more later through the API")
    return [AttachmentUpload(f.filename, f.content_type, await f.read()) for f in files]


class TooManyFiles(ProblemError):
    status, title, kind = 422, "Too many attachments", "too-many-attachments"


def _fingerprint(draft: RequestDraft, uploads: list[AttachmentUpload]) -> str:
    files = [(u.filename, hashlib.sha256(u.content).hexdigest()) for u in uploads]
    return hashlib.sha256(orjson.dumps([sorted(draft.fields.items()), files])).hexdigest()


async def _preview_again(
    request: Request, viewer: Principal, ods: str, draft: RequestDraft, errors: dict[str, FieldError]
) -> Response:
    """The preview drawn again with what to correct on it, as the request was not sent (422)."""
    submission = submission_from_draft(draft.without_reason(), viewer)
    context = await _preview_context(request, viewer, ods, draft, submission) | {"form_errors": errors}
    return render(request, "practice_ask_preview.html", context, status_code=422)


async def _refused_form(
    request: Request, viewer: Principal, ods: str, draft: RequestDraft, invalid: RequestFormInvalid
) -> Response:
    """A form that cannot be sent: the reason is corrected on the preview, everything else on the form."""
    if invalid.only_the_reason():
        return await _preview_again(request, viewer, ods, draft, invalid.errors)
    context = _form_context(request, viewer, ods, draft) | {"form_errors": invalid.errors}
    return render(request, "practice_ask.html", context, status_code=422)


@router.post("/practices/{ods}/advice-requests", status_code=303)
async def send_request_page(
    request: Request,
    ods: OdsPath,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("request specialist advice"))],
    viewer: GpPageDep,
    session: SessionDep,
) -> Response:
    """Creates the request and its attachments as the API does, then shows it on the practice page."""
    require_own_practice(viewer, ods)
    form = await request.form()
    draft = draft_from_form(form)
    try:
        submission = submission_from_draft(draft, viewer)
    except RequestFormInvalid as invalid:
        return await _refused_form(request, viewer, ods, draft, invalid)
    note.nhs_number, note.specialty = submission.nhs_number, submission.specialty
    uploads = await _uploads(form)
    write = IdempotentWrite(
        principal=viewer.sub,
        key=form_field(form, "idempotency_key"),
        route="POST /v1/advice-requests (page)",
        request_hash=_fingerprint(draft, uploads),
    )
    if (replay := await replay_if_seen(session, write)) is not None:
        return _shown(ods, str(orjson.loads(replay.body)["id"]))
    # As the API: no connection, and on SQLite no write lock, is held while the practice is asked.
    await session.commit()
    criteria_met = await criteria_at_submission(request, author=viewer, submission=submission)
    try:
        require_reason_outside_criteria(submission.specialty, criteria_met, submission)
    except Unprocessable:
        return await _preview_again(request, viewer, ods, draft, {REASON_FIELD: field_error(REASON_FIELD)})
    async with asynccontextmanager(get_audited_session)(request) as audited_session:
        # A resent form may have been answered meanwhile: its first answer wins.
        if (replay := await replay_if_seen(audited_session, write)) is not None:
            return _shown(ods, str(orjson.loads(replay.body)["id"]))
        created = await create_advice_request(
            audited_session,
            author=viewer,
            submission=submission,
            network=request.app.state.practices,
            criteria_met=criteria_met,
        )
        for upload in uploads:
            await add_attachment(
                audited_session,
                advice_request=created,
                author=viewer,
                upload=upload,
                scanner=request.app.state.virus_scanner,
                max_bytes=request.app.state.settings.attachment_max_bytes,
            )
        note.action = f"{note.action} with {len(uploads)} attachment(s)"
        body = state_public(created)
        await respond_once(audited_session, write, status=201, body=body, headers={"ETag": etag(created)})
    return _shown(ods, created.id)


def _shown(ods: str, advice_request_id: str) -> Response:
    return RedirectResponse(f"/practices/{ods}?asked={advice_request_id}#request-{advice_request_id}", 303)
