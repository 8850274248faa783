"""The advice form's POST: the consultant's answer, given through the same service as the API.

The form carries the request's version as it was read (sent on as If-Match, so advice written against a
stale page is refused) and an idempotency key made when the page was drawn, so a double click or a resent
form gives the advice once. The browser is then sent back to the patient page, which shows the delivery.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Path, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from app.advice.access import check_if_match, etag, visible_request
from app.advice.idempotency import IdempotentWrite, replay_if_seen, respond_once
from app.advice.public import response_public, state_public
from app.advice.responses import answer_advice_request
from app.audit.service import AuditNote
from app.clinics.service import clinic_for
from app.core.deps import AuditedSessionDep, audited
from app.core.errors import Unprocessable
from app.web.csrf import CSRF_FIELD, CsrfChecked
from app.web.errors import PAGE_TAG
from app.web.session import ConsultantPageDep
from schemas.api.advice import AdviceResponseCreate, AdviceResponsePosted
from schemas.nhs_number import NhsNumber

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)

# The form's own bookkeeping, left out of the advice it describes.
_NOT_ADVICE = frozenset({CSRF_FIELD, "idempotency_key", "version", "advice_request_id"})


def _field(form: FormData, name: str, *, max_length: int = 200) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise Unprocessable(f"the form's {name.replace('_', ' ')} is missing or too long")
    return value.strip()


def advice_from_form(form: FormData) -> AdviceResponseCreate:
    """The advice the form describes: outcome, recommendation, text, and each ticked action with its date."""
    try:
        return AdviceResponseCreate.model_validate(
            {
                "outcome": form.get("outcome"),
                "recommendation": form.get("recommendation"),
                "advice": str(form.get("advice") or "").strip(),
                "actions": [
                    {"code": code, "due_date": form.get(f"due-{code}") or None}
                    for code in form.getlist("action")
                ],
            }
        )
    except ValidationError as invalid:
        fields = ", ".join(sorted({str(error["loc"][0]) for error in invalid.errors() if error["loc"]}))
        raise Unprocessable(f"please check the form: {fields or 'a field'} is not filled in right") from None


def _fingerprint(form: FormData) -> str:
    items = sorted((key, value) for key, value in form.multi_items() if key not in _NOT_ADVICE)
    return hashlib.sha256(orjson.dumps([(key, str(value)) for key, value in items])).hexdigest()


@router.post("/clinics/{clinic_id}/patients/{nhs_number}/advice")
async def give_advice_from_form(
    request: Request,
    clinic_id: Annotated[str, Path(max_length=64)],
    nhs_number: Annotated[NhsNumber, Path()],
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("give specialist advice"))],
    consultant: ConsultantPageDep,
    session: AuditedSessionDep,
) -> Response:
    """Sends the consultant's advice on the patient's advice request, then shows its delivery."""
    form = await request.form()
    page = f"/clinics/{clinic_id}/patients/{nhs_number}"
    await clinic_for(session, consultant, clinic_id)
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
    submission = advice_from_form(form)
    response = await answer_advice_request(
        session,
        advice_request=advice_request,
        consultant=consultant,
        submission=submission,
        network=request.app.state.practices,
        now=request.app.state.clock(),
        egfr_equation=request.app.state.settings.egfr_equation,
    )
    posted = response_public(response).model_dump()
    body = AdviceResponsePosted(**posted, request=state_public(advice_request))
    await respond_once(session, write, status=201, body=body, headers={"ETag": etag(advice_request)})
    return done
