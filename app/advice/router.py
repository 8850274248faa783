"""The advice-request API: a practice asks, a consultant answers, the practice acknowledges.

Every POST needs an ``Idempotency-Key``; the consultant's response also needs ``If-Match``, and the other
writes honour it when sent. Importing this module registers the relationship an open request gives.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.access.relationships import register_relationship_source
from app.advice.access import OPEN_REQUEST_IN_SPECIALTY, check_if_match, etag, visible_request
from app.advice.criteria import criteria_at_submission
from app.advice.idempotency import (
    IDEMPOTENT_WRITE_OPENAPI,
    REPLAYED_HEADER,
    IdempotentWrite,
    IdempotentWriteDep,
    replay_if_seen,
    respond_once,
)
from app.advice.metrics import advice_metrics
from app.advice.models import AdviceRequest
from app.advice.public import (
    message_public,
    request_public,
    response_public,
    state_public,
    summary_public,
)
from app.advice.responses import answer_advice_request
from app.advice.service import (
    CloseOut,
    acknowledge_advice,
    add_conversation_message,
    cancel_advice_request,
    conversation_of,
    create_advice_request,
    list_advice_requests,
    responses_of,
    utcnow,
)
from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.cds_hooks.metrics import cds_card_metrics
from app.core.deps import (
    AuditedSessionDep,
    PrincipalDep,
    SessionDep,
    audited,
    get_audited_session,
    require_roles,
)
from app.core.errors import Unprocessable
from app.core.openapi import problem_responses
from app.core.params import AdviceRequestIdPath
from app.outbox.service import delivery_status_for
from app.specialties.registry import SPECIALTIES
from schemas.api.advice import (
    AcknowledgementCreate,
    AdviceMetricsPublic,
    AdviceRequestCreate,
    AdviceRequestPage,
    AdviceRequestPublic,
    AdviceRequestStatePublic,
    AdviceResponseCreate,
    AdviceResponsePosted,
    AdviceStatus,
    ConversationMessageCreate,
    ConversationMessagePosted,
)
from schemas.nhs_number import NhsNumber

router = APIRouter(prefix="/v1", tags=["advice"])

register_relationship_source(OPEN_REQUEST_IN_SPECIALTY)

PracticeDep = Annotated[Principal, Depends(require_roles(Role.GP, Role.GP_SYSTEM))]
ConsultantDep = Annotated[Principal, Depends(require_roles(Role.CONSULTANT))]
ParticipantDep = Annotated[Principal, Depends(require_roles(Role.GP, Role.GP_SYSTEM, Role.CONSULTANT))]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag of the request as last read ("3"; a bare 3 is read the same). '
        "Required on the response, where * is refused because it matches every version",
    ),
]

_ETAG = {"description": "The request's version, to send back as If-Match", "schema": {"type": "string"}}
_REPLAYED = {
    "description": "true when this is the stored response to an earlier write with the same key",
    "schema": {"type": "string"},
}
_LOCATION = {"description": "The new advice request", "schema": {"type": "string"}}


def _write_responses(status: int, *problems: int, location: bool = False) -> dict[int | str, dict[str, Any]]:
    headers = {"ETag": _ETAG, REPLAYED_HEADER: _REPLAYED} | ({"Location": _LOCATION} if location else {})
    return {status: {"headers": headers}, **problem_responses(*problems)}


WRITE_PROBLEMS = (400, 401, 403, 404, 409, 412, 422, 503)


def _known_specialty(code: str | None) -> str | None:
    if code is not None and code not in SPECIALTIES:
        raise Unprocessable(f"no specialty {code!r}; available: {', '.join(sorted(SPECIALTIES))}")
    return code


async def _held_for_write(
    session: AsyncSession,
    principal: Principal,
    advice_request_id: AdviceRequestIdPath,
    *,
    note: AuditNote,
    write: IdempotentWrite,
    if_match: str | None,
    if_match_required: bool = False,
) -> AdviceRequest | Response:
    """The request held for update and named to the audit, or the first answer if this write was made before.

    The replay comes before the version check: a retried write gets its first answer, not a 412 for the
    version its own first attempt moved on.
    """
    advice_request = await visible_request(session, principal, advice_request_id, for_update=True)
    note.nhs_number = advice_request.nhs_number
    if (replay := await replay_if_seen(session, write)) is not None:
        return replay
    check_if_match(advice_request, if_match, required=if_match_required)
    return advice_request


@router.post(
    "/advice-requests",
    status_code=201,
    response_model=AdviceRequestStatePublic,
    responses=_write_responses(201, 400, 401, 403, 404, 415, 422, 502, 503, 504, location=True),
    openapi_extra=IDEMPOTENT_WRITE_OPENAPI,
)
async def submit_advice_request(
    request: Request,
    submission: AdviceRequestCreate,
    note: Annotated[AuditNote, Depends(audited("request specialist advice"))],
    author: PracticeDep,
    write: IdempotentWriteDep,
    session: SessionDep,
) -> Response:
    """Ask a specialty for advice about a patient registered at the caller's practice (404 if unknown).

    The patient's record is read for the specialty's referral criteria first; a patient meeting none needs
    ``outside_criteria_reason`` (422), and a record that cannot be read leaves the criteria unknown.
    """
    note.nhs_number = submission.nhs_number
    if (replay := await replay_if_seen(session, write)) is not None:
        return replay
    # No connection, and on SQLite no write lock, is held while the practice is asked for the record.
    await session.commit()
    criteria_met = await criteria_at_submission(request, author=author, submission=submission)
    async with asynccontextmanager(get_audited_session)(request) as audited_session:
        # A concurrent duplicate may have been made meanwhile: its first answer wins.
        if (replay := await replay_if_seen(audited_session, write)) is not None:
            return replay
        created = await create_advice_request(
            audited_session,
            author=author,
            submission=submission,
            network=request.app.state.practices,
            criteria_met=criteria_met,
        )
        headers = {"Location": f"/v1/advice-requests/{created.id}", "ETag": etag(created)}
        return await respond_once(
            audited_session, write, status=201, body=state_public(created), headers=headers
        )


@router.get("/advice-requests", response_model=AdviceRequestPage, responses=problem_responses(401, 422, 503))
async def browse_advice_requests(
    note: Annotated[AuditNote, Depends(audited("list advice requests"))],
    viewer: PrincipalDep,
    session: SessionDep,
    status: Annotated[AdviceStatus | None, Query()] = None,
    specialty: Annotated[str | None, Query(max_length=64)] = None,
    nhs_number: Annotated[NhsNumber | None, Query(description="Only this patient's requests")] = None,
    after: Annotated[str | None, Query(max_length=200, description="next_cursor of the page before")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AdviceRequestPage:
    """Requests the caller may see, oldest first: a practice its own, a consultant their specialty's."""
    note.nhs_number = nhs_number
    rows, next_cursor = await list_advice_requests(
        session,
        viewer=viewer,
        status=status,
        specialty=_known_specialty(specialty),
        nhs_number=nhs_number,
        after=after,
        limit=limit,
    )
    return AdviceRequestPage(items=[summary_public(row) for row in rows], next_cursor=next_cursor)


@router.get(
    "/advice-requests/{advice_request_id}",
    response_model=AdviceRequestPublic,
    responses={200: {"headers": {"ETag": _ETAG}}, **problem_responses(401, 404, 503)},
)
async def read_advice_request(
    advice_request_id: AdviceRequestIdPath,
    response: Response,
    note: Annotated[AuditNote, Depends(audited("read an advice request"))],
    viewer: PrincipalDep,
    session: SessionDep,
) -> AdviceRequestPublic:
    """One request with its conversation, responses and their delivery; the ETag is its version."""
    advice_request = await visible_request(session, viewer, advice_request_id)
    note.nhs_number = advice_request.nhs_number
    response.headers["ETag"] = etag(advice_request)
    return request_public(
        advice_request,
        messages=await conversation_of(session, advice_request.id),
        responses=await responses_of(session, advice_request.id),
        delivery=await delivery_status_for(session, advice_request.id),
    )


@router.post(
    "/advice-requests/{advice_request_id}/messages",
    status_code=201,
    response_model=ConversationMessagePosted,
    responses=_write_responses(201, *WRITE_PROBLEMS, 415),
    openapi_extra=IDEMPOTENT_WRITE_OPENAPI,
)
async def post_conversation_message(
    advice_request_id: AdviceRequestIdPath,
    submission: ConversationMessageCreate,
    note: Annotated[AuditNote, Depends(audited("write in an advice conversation"))],
    author: ParticipantDep,
    write: IdempotentWriteDep,
    session: AuditedSessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Add a message; the practice's reply to a request for information sends the request back for review."""
    held = await _held_for_write(
        session, author, advice_request_id, note=note, write=write, if_match=if_match
    )
    if isinstance(held, Response):
        return held
    advice_request = held
    message = await add_conversation_message(
        session, advice_request=advice_request, author=author, body=submission.body
    )
    body = ConversationMessagePosted(
        **message_public(message).model_dump(), request=state_public(advice_request)
    )
    return await respond_once(session, write, status=201, body=body, headers={"ETag": etag(advice_request)})


@router.post(
    "/advice-requests/{advice_request_id}/response",
    status_code=201,
    response_model=AdviceResponsePosted,
    responses=_write_responses(201, *WRITE_PROBLEMS, 415, 428),
    openapi_extra=IDEMPOTENT_WRITE_OPENAPI,
)
async def respond_to_advice_request(
    request: Request,
    advice_request_id: AdviceRequestIdPath,
    submission: AdviceResponseCreate,
    note: Annotated[AuditNote, Depends(audited("give specialist advice"))],
    consultant: ConsultantDep,
    write: IdempotentWriteDep,
    session: AuditedSessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Answer a request of your specialty (If-Match required): advice, a referral, or a question back."""
    held = await _held_for_write(
        session,
        consultant,
        advice_request_id,
        note=note,
        write=write,
        if_match=if_match,
        if_match_required=True,
    )
    if isinstance(held, Response):
        return held
    advice_request = held
    response = await answer_advice_request(
        session,
        advice_request=advice_request,
        consultant=consultant,
        submission=submission,
        network=request.app.state.practices,
        now=request.app.state.clock(),
        specialty_settings=request.app.state.specialty_settings,
    )
    body = AdviceResponsePosted(
        **response_public(response).model_dump(), request=state_public(advice_request)
    )
    return await respond_once(session, write, status=201, body=body, headers={"ETag": etag(advice_request)})


_ACKNOWLEDGEMENT_RESPONSES = _write_responses(200, *WRITE_PROBLEMS, 415)
_ACKNOWLEDGEMENT_RESPONSES[409] = {
    **_ACKNOWLEDGEMENT_RESPONSES[409],
    "description": "The advice is not yet given, or was acknowledged with a different close-out answer "
    "(referral_avoided, course_of_action or referral_outcome): `recorded` says what was recorded and when",
}


@router.post(
    "/advice-requests/{advice_request_id}/acknowledgement",
    response_model=AdviceRequestStatePublic,
    responses=_ACKNOWLEDGEMENT_RESPONSES,
    openapi_extra=IDEMPOTENT_WRITE_OPENAPI,
)
async def acknowledge_advice_request(
    advice_request_id: AdviceRequestIdPath,
    note: Annotated[AuditNote, Depends(audited("acknowledge specialist advice"))],
    practice: PracticeDep,
    write: IdempotentWriteDep,
    session: AuditedSessionDep,
    submission: Annotated[AcknowledgementCreate | None, Body()] = None,
    if_match: IfMatch = None,
) -> Response:
    """Confirm the practice has the advice, closing the request; a repeat may add, not change, the outcome."""
    held = await _held_for_write(
        session, practice, advice_request_id, note=note, write=write, if_match=if_match
    )
    if isinstance(held, Response):
        return held
    advice_request = held
    await acknowledge_advice(
        session, advice_request=advice_request, by=practice, close_out=CloseOut.of(submission)
    )
    body = state_public(advice_request)
    return await respond_once(session, write, status=200, body=body, headers={"ETag": etag(advice_request)})


@router.post(
    "/advice-requests/{advice_request_id}/cancel",
    response_model=AdviceRequestStatePublic,
    responses=_write_responses(200, *WRITE_PROBLEMS),
    openapi_extra=IDEMPOTENT_WRITE_OPENAPI,
)
async def cancel_advice(
    advice_request_id: AdviceRequestIdPath,
    note: Annotated[AuditNote, Depends(audited("cancel an advice request"))],
    practice: PracticeDep,
    write: IdempotentWriteDep,
    session: AuditedSessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Withdraw a request the consultant has not yet answered."""
    held = await _held_for_write(
        session, practice, advice_request_id, note=note, write=write, if_match=if_match
    )
    if isinstance(held, Response):
        return held
    advice_request = held
    await cancel_advice_request(session, advice_request=advice_request, by=practice)
    body = state_public(advice_request)
    return await respond_once(session, write, status=200, body=body, headers={"ETag": etag(advice_request)})


@router.get("/metrics/advice", response_model=AdviceMetricsPublic, responses=problem_responses(401, 422, 503))
async def read_advice_metrics(
    viewer: PrincipalDep,
    session: SessionDep,
    specialty: Annotated[str | None, Query(max_length=64)] = None,
    practice: Annotated[str | None, Query(max_length=10, description="A practice's ODS code")] = None,
) -> AdviceMetricsPublic:
    """Volumes, time to advice, outcomes and close-outs per specialty and practice, and each alone."""
    metrics = await advice_metrics(
        session,
        viewer=viewer,
        specialty=_known_specialty(specialty),
        practice_ods=practice,
        generated_at=utcnow(),
    )
    metrics.cds_cards = await cds_card_metrics(
        session, viewer=viewer, specialty=_known_specialty(specialty), practice_ods=practice
    )
    return metrics
