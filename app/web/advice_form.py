"""The advice form's POST: the consultant's answer, given through the same service as the API.

The form carries the request's version as it was read (sent on as If-Match, so advice written against a
stale page is refused) and an idempotency key made when the page was drawn, so a double click or a resent
form gives the advice once. The browser is then sent back to the patient page, which shows the delivery.
Advice that is not filled in right is not given: the patient page is drawn again with 422, keeping what the
consultant typed and saying beside each field what to correct.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from app.advice.access import check_if_match, etag, visible_request
from app.advice.idempotency import IdempotentWrite, replay_if_seen, respond_once
from app.advice.public import response_public, state_public
from app.advice.responses import answer_advice_request
from app.audit.service import AuditLog, AuditNote
from app.auth.principal import Principal
from app.clinics.models import Clinic
from app.clinics.service import clinic_for
from app.core.deps import AuditedSessionDep, audited
from app.core.errors import Unprocessable
from app.core.params import ClinicIdPath, NhsNumberPath
from app.web.csrf import CSRF_FIELD, CsrfChecked
from app.web.errors import PAGE_TAG
from app.web.pages import READ_SUMMARY_PURPOSE, patient_page_context
from app.web.session import ConsultantPageDep
from app.web.templating import render
from schemas.api.advice import AdviceResponseCreate, AdviceResponsePosted
from schemas.text import unwritable_character

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)

# The form's own bookkeeping, left out of the advice it describes.
_NOT_ADVICE = frozenset({CSRF_FIELD, "idempotency_key", "version", "advice_request_id"})


def _field(form: FormData, name: str, *, max_length: int = 200) -> str:
    """One of the form's own hidden fields, which the page fills and nobody types."""
    value = form.get(name)
    label = name.replace("_", " ")
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise Unprocessable(f"the form's {label} is missing or too long")
    if unwritable_character(value) is not None:
        raise Unprocessable(f"the form's {label} holds characters that are not text")
    return value.strip()


@dataclass(frozen=True, slots=True)
class FieldError:
    """A field to correct: its name in the form, the element the error summary links to, and what to do."""

    field: str
    element_id: str
    message: str

    @property
    def message_id(self) -> str:
        return f"{self.element_id}-error"


@dataclass(frozen=True, slots=True)
class AdviceDraft:
    """The advice as the consultant typed it, put back in the form when it is shown again."""

    outcome: str
    recommendation: str
    advice: str
    actions: frozenset[str]
    due_dates: dict[str, str]


class AdviceFormInvalid(Exception):
    """The form does not describe advice that can be given; each error names the field to correct."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(error.field for error in errors))
        self.errors = errors


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def draft_from_form(form: FormData) -> AdviceDraft:
    return AdviceDraft(
        outcome=_text(form, "outcome"),
        recommendation=_text(form, "recommendation"),
        advice=_text(form, "advice"),
        actions=frozenset(code for code in form.getlist("action") if isinstance(code, str)),
        due_dates={
            name.removeprefix("due-"): value
            for name, value in form.multi_items()
            if name.startswith("due-") and isinstance(value, str)
        },
    )


_CHOOSE = {
    "outcome": "Choose the outcome of the request",
    "recommendation": "Choose a recommendation for the practice",
}


_ADVICE_TEXT = {
    "missing": "Write your advice to the practice",
    "string_too_short": "Write your advice to the practice",
    "string_too_long": "Keep the advice to 8,000 characters",
}
_NOT_TEXT = "Remove the characters that are not text from the advice, such as pasted control characters"


def _field_error(error: ErrorDetails, action_codes: list[str]) -> FieldError:
    """Where the page shows a validation error of ``AdviceResponseCreate``, in the consultant's words."""
    location = error["loc"]
    name = str(location[0]) if location else "form"
    if name in _CHOOSE:
        return FieldError(name, name, _CHOOSE[name])
    if name == "advice":
        return FieldError(name, "advice-text", _ADVICE_TEXT.get(error["type"], _NOT_TEXT))
    if len(location) == 3 and location[2] == "due_date" and isinstance(location[1], int):
        due = f"due-{action_codes[location[1]]}"
        return FieldError(due, due, "Enter the due date as a date, for example 15 January 2031")
    # Only a form changed outside the page gets here: its other fields are offered, not typed.
    return FieldError("form", "advice-form", f"Check the form: {name} is not filled in right")


def advice_from_form(form: FormData) -> AdviceResponseCreate:
    """The advice the form describes: outcome, recommendation, text, and each ticked action with its date.

    Raises ``AdviceFormInvalid`` naming every field to correct, each once.
    """
    action_codes = [str(code) for code in form.getlist("action")]
    try:
        return AdviceResponseCreate.model_validate(
            {
                "outcome": form.get("outcome"),
                "recommendation": form.get("recommendation"),
                "advice": str(form.get("advice") or "").strip(),
                "actions": [
                    {"code": code, "due_date": form.get(f"due-{code}") or None} for code in action_codes
                ],
            }
        )
    except ValidationError as invalid:
        errors: dict[str, FieldError] = {}
        for error in invalid.errors():
            found = _field_error(error, action_codes)
            errors.setdefault(found.field, found)
        raise AdviceFormInvalid(list(errors.values())) from None


def _fingerprint(form: FormData) -> str:
    items = sorted((key, value) for key, value in form.multi_items() if key not in _NOT_ADVICE)
    return hashlib.sha256(orjson.dumps([(key, str(value)) for key, value in items])).hexdigest()


@router.post("/clinics/{clinic_id}/patients/{nhs_number}/advice")
async def give_advice_from_form(
    request: Request,
    clinic_id: ClinicIdPath,
    nhs_number: NhsNumberPath,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("give specialist advice"))],
    consultant: ConsultantPageDep,
    session: AuditedSessionDep,
) -> Response:
    """Sends the consultant's advice on the patient's advice request, then shows its delivery."""
    form = await request.form()
    page = f"/clinics/{clinic_id}/patients/{nhs_number}"
    clinic = await clinic_for(session, consultant, clinic_id)
    advice_request = await visible_request(
        session, consultant, _field(form, "advice_request_id", max_length=64), for_update=True
    )
    if advice_request.nhs_number != nhs_number:
        raise Unprocessable("the advice request is for another patient")
    write = IdempotentWrite(
        principal=consultant.sub,
        key=_field(form, "idempotency_key"),
        route=f"POST /v1/advice-requests/{advice_request.id}/response (page)",
        request_hash=_fingerprint(form),
    )
    done = RedirectResponse(f"{page}#advice-sent", status_code=303)
    if await replay_if_seen(session, write) is not None:
        return done
    check_if_match(advice_request, f'"{_field(form, "version", max_length=20)}"', required=True)
    try:
        submission = advice_from_form(form)
    except AdviceFormInvalid as invalid:
        return await _show_form_again(
            request,
            session,
            consultant=consultant,
            clinic=clinic,
            nhs_number=nhs_number,
            note=note,
            draft=draft_from_form(form),
            errors=invalid.errors,
        )
    response = await answer_advice_request(
        session,
        advice_request=advice_request,
        consultant=consultant,
        submission=submission,
        network=request.app.state.practices,
        now=request.app.state.clock(),
        specialty_settings=request.app.state.specialty_settings,
    )
    posted = response_public(response).model_dump()
    body = AdviceResponsePosted(**posted, request=state_public(advice_request))
    await respond_once(session, write, status=201, body=body, headers={"ETag": etag(advice_request)})
    return done


async def _show_form_again(
    request: Request,
    session: AsyncSession,
    *,
    consultant: Principal,
    clinic: Clinic,
    nhs_number: str,
    note: AuditNote,
    draft: AdviceDraft,
    errors: list[FieldError],
) -> Response:
    """The patient page again, with 422: the advice as typed, and beside each field what to correct.

    The refused advice is on record as failed. Drawing the page reads the record again, which is on record
    as a read with the status the patient page would have answered, as each worklist read is.
    """
    audit_log: AuditLog = request.app.state.audit_log
    request_id: str = request.state.request_id
    await audit_log.append(
        session, principal=consultant, note=note, outcome="failed", status=422, request_id=request_id
    )
    read = AuditNote(purpose=READ_SUMMARY_PURPOSE, action=note.action, nhs_number=nhs_number)
    context = await patient_page_context(
        request, session, viewer=consultant, clinic=clinic, nhs_number=nhs_number, note=read
    )
    await audit_log.append(
        session, principal=consultant, note=read, outcome="success", status=200, request_id=request_id
    )
    context |= {"draft": draft, "form_errors": {error.field: error for error in errors}}
    return render(request, "patient.html", context, status_code=422)
