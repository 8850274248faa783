"""A GP asks for advice from the practice's page: the question, a preview of what the consultant will see,
then the request with its attachments.

The first step takes the patient, specialty, question and urgency; the preview checks them as the API does
(``AdviceRequestCreate``), reads the patient's record from the practice (the patient must be registered
there) and shows the specialty summary the consultant will see, with the referral criteria the patient
meets, through the consultant's own panels. Sending then creates the request through the API's service
function and attaches each file through the attachments service, in one transaction with its audit event
and its idempotency key: either the request and every file are kept, or nothing is.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, get_args

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from app.advice.access import etag
from app.advice.idempotency import IdempotentWrite, replay_if_seen, respond_once
from app.advice.public import state_public
from app.advice.service import create_advice_request
from app.attachments.service import AttachmentUpload, add_attachment
from app.audit.service import AuditNote
from app.auth.principal import Principal
from app.core.deps import AuditedSessionDep, SessionDep, audited
from app.core.errors import Forbidden, ProblemError
from app.records.service import registered_practice
from app.specialties.registry import SPECIALTIES, get_specialty
from app.specialties.service import build_summary_for
from app.web.advice_form import form_field
from app.web.csrf import CsrfChecked
from app.web.errors import PAGE_TAG
from app.web.practice_access import OdsPath, require_own_practice
from app.web.practice_pages import practice_of
from app.web.session import GpPageDep
from app.web.summary_view import summary_view
from app.web.templating import render
from schemas.advice import Urgency
from schemas.api.advice import AdviceRequestCreate

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)

# The request's fields the form carries, by the API model's names. A field added to ``AdviceRequestCreate``
# needs its name here and its control in the two templates; checkboxes post "on", which the model reads.
REQUEST_FIELDS = ("nhs_number", "specialty", "question", "urgency")
# Files one form may send; more can be added through the API while the request awaits review.
MAX_FILES_PER_FORM = 3
FORM_ROOM_BYTES = 64 * 1024
SEND_PATH = re.compile(r"/practices/[A-Z0-9]{3,10}/advice-requests")
PREVIEW_PURPOSE = "preview a specialty summary before asking for advice"
_FIELD_LABELS = {
    "nhs_number": "Enter the patient's 10-digit NHS number",
    "specialty": "Choose the specialty to ask",
    "question": "Write the question for the consultant",
    "urgency": "Choose how urgent the request is",
}


def form_body_bounds(max_attachment_bytes: int) -> list[tuple[re.Pattern[str], int]]:
    """The request limits' allowance for the send step, which carries up to three files."""
    return [(SEND_PATH, MAX_FILES_PER_FORM * max_attachment_bytes + FORM_ROOM_BYTES)]


@dataclass(frozen=True, slots=True)
class RequestDraft:
    """The request as the GP typed it, put back in the form and carried through the preview."""

    fields: dict[str, str]


class RequestFormInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def draft_from_form(form: FormData) -> RequestDraft:
    fields = {name: form.get(name) for name in REQUEST_FIELDS}
    return RequestDraft({name: value for name, value in fields.items() if isinstance(value, str)})


def submission_from_draft(draft: RequestDraft, requester: Principal) -> AdviceRequestCreate:
    """The request as the API would read it; NHS numbers are often typed spaced, 943 476 5919."""
    values: dict[str, Any] = {name: value.strip() for name, value in draft.fields.items() if value.strip()}
    if "nhs_number" in values:
        values["nhs_number"] = values["nhs_number"].replace(" ", "")
    if requester.name:
        # Who asked, as the consultant's page shows it (the context the API takes from a GP system).
        values["context"] = {"requester": {"name": requester.name, "role": "GP"}}
    errors: dict[str, str] = {}
    if values.get("specialty") not in SPECIALTIES:
        errors["specialty"] = _FIELD_LABELS["specialty"]
    try:
        submission = AdviceRequestCreate.model_validate(values)
    except ValidationError as invalid:
        for error in invalid.errors():
            name = str(error["loc"][0]) if error["loc"] else "form"
            errors.setdefault(name, _FIELD_LABELS.get(name, f"Check the {name.replace('_', ' ')}"))
    if errors:
        raise RequestFormInvalid(errors)
    return submission


def _form_context(request: Request, viewer: Principal, ods: str, draft: RequestDraft) -> dict[str, Any]:
    return {
        "viewer": viewer,
        "ods": ods,
        "practice": practice_of(request, ods),
        "specialties": sorted((code, s.title) for code, s in SPECIALTIES.items()),
        "urgencies": get_args(Urgency),
        "draft": draft,
        "fields": REQUEST_FIELDS,
        "max_files": MAX_FILES_PER_FORM,
        "max_bytes": request.app.state.settings.attachment_max_bytes,
        "form_errors": {},
    }


@router.get("/practices/{ods}/advice-requests/new")
async def new_request_page(request: Request, ods: OdsPath, viewer: GpPageDep) -> Response:
    """The form for a new advice request."""
    require_own_practice(viewer, ods)
    return render(request, "practice_ask.html", _form_context(request, viewer, ods, RequestDraft({})))


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
    context = _form_context(request, viewer, ods, draft)
    try:
        submission = submission_from_draft(draft, viewer)
    except RequestFormInvalid as invalid:
        context["form_errors"] = invalid.errors
        return render(request, "practice_ask.html", context, status_code=422)
    note.nhs_number, note.specialty = submission.nhs_number, submission.specialty
    network = request.app.state.practices
    # The rule the request itself keeps: a practice asks only about its own registered patients.
    if await registered_practice(network, submission.nhs_number) != ods:
        raise Forbidden("the patient is not registered at your practice")
    await session.commit()
    specialty = get_specialty(submission.specialty)
    summary = await build_summary_for(
        network=network,
        specialty=specialty,
        nhs_number=submission.nhs_number,
        now=request.app.state.clock(),
        specialty_settings=request.app.state.specialty_settings,
    )
    context |= {
        "view": summary_view(summary, specialty),
        "specialty": specialty,
        "met": [c for c in summary.referral_criteria if c.status == "met"],
        "idempotency_key": uuid.uuid4().hex,
    }
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


@router.post("/practices/{ods}/advice-requests", status_code=303)
async def send_request_page(
    request: Request,
    ods: OdsPath,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("request specialist advice"))],
    viewer: GpPageDep,
    session: AuditedSessionDep,
) -> Response:
    """Creates the request and its attachments as the API does, then shows it on the practice page."""
    require_own_practice(viewer, ods)
    form = await request.form()
    draft = draft_from_form(form)
    try:
        submission = submission_from_draft(draft, viewer)
    except RequestFormInvalid as invalid:
        context = _form_context(request, viewer, ods, draft) | {"form_errors": invalid.errors}
        return render(request, "practice_ask.html", context, status_code=422)
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
    created = await create_advice_request(
        session, author=viewer, submission=submission, network=request.app.state.practices
    )
    for upload in uploads:
        await add_attachment(
            session,
            advice_request=created,
            author=viewer,
            upload=upload,
            scanner=request.app.state.virus_scanner,
            max_bytes=request.app.state.settings.attachment_max_bytes,
        )
    note.action = f"{note.action} with {len(uploads)} attachment(s)"
    body = state_public(created)
    await respond_once(session, write, status=201, body=body, headers={"ETag": etag(created)})
    return _shown(ods, created.id)


def _shown(ods: str, advice_request_id: str) -> Response:
    return RedirectResponse(f"/practices/{ods}?asked={advice_request_id}#request-{advice_request_id}", 303)
