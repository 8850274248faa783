"""Advice requests: create, converse, cancel, acknowledge, list. Functions flush; the caller commits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col

from app.advice.access import request_for_update, visible_to
from app.advice.criteria import known_specialty, require_reason_outside_criteria
from app.advice.models import AdviceRequest, AdviceResponse, ConversationMessage
from app.advice.states import (
    TERMINAL_STATUSES,
    AdviceEvent,
    IllegalTransition,
    Side,
    WrongSide,
    allowed_events,
    transition,
)
from app.auth.principal import Principal, Role
from app.core.cursors import InvalidCursor, decode_cursor, encode_cursor
from app.core.errors import Conflict, Forbidden, PreconditionFailed
from app.records.service import registered_practice
from app.records.wiring import PracticeNetwork
from schemas.api.advice import (
    AcknowledgementCreate,
    AdviceRequestCreate,
    AdviceStatus,
    CourseOfAction,
    ReferralOutcome,
)
from schemas.text import unwritable_character

log = logging.getLogger("vclinic.advice")
_LIST_NAME = "the list of advice requests"


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def side_of(principal: Principal) -> Side:
    if principal.role is Role.CONSULTANT:
        return Side.CONSULTANT
    if principal.is_practice:
        return Side.PRACTICE
    raise Forbidden("only the practice and the specialty's consultants take part in an advice request")


def advance(advice_request: AdviceRequest, event: AdviceEvent, side: Side, now: datetime) -> None:
    """Moves the request along the state machine, or refuses with 409 naming what is allowed instead."""
    current = AdviceStatus(advice_request.status)
    try:
        found = transition(current, event, side)
    except IllegalTransition as refusal:
        allowed = [allowed.value for allowed in refusal.allowed]
        raise Conflict(
            f"{event.value} is not allowed while the request is {current.value}; "
            f"allowed: {', '.join(allowed) or 'nothing, the request is finished'}",
            allowed=allowed,
            current_status=current.value,
        ) from None
    except WrongSide as refusal:
        raise Forbidden(str(refusal)) from None
    advice_request.status = found.target.value
    advice_request.updated_at = now
    if found.target in TERMINAL_STATUSES:
        advice_request.closed_at = now


async def save(session: AsyncSession) -> None:
    """Flushes; a request another writer changed in the meantime is a failed precondition, not a 500."""
    try:
        await session.flush()
    except StaleDataError:
        raise PreconditionFailed(
            "the advice request changed while this was being saved; read it again"
        ) from None


async def create_advice_request(
    session: AsyncSession,
    *,
    author: Principal,
    submission: AdviceRequestCreate,
    network: PracticeNetwork,
    criteria_met: list[str] | None = None,
) -> AdviceRequest:
    """A practice asks a specialty about one of its own registered patients.

    ``criteria_met`` are the specialty's referral criteria the patient met (``app.advice.criteria``), None
    when unknown; a request meeting none needs the practice's reason (422 without it).
    """
    specialty = known_specialty(submission.specialty)
    ods = await registered_practice(network, submission.nhs_number)
    if ods != author.ods:
        raise Forbidden("the patient is not registered at your practice")
    require_reason_outside_criteria(specialty.code, criteria_met, submission)
    now = utcnow()
    advice_request = AdviceRequest(
        nhs_number=submission.nhs_number,
        practice_ods=ods,
        specialty=submission.specialty,
        question=submission.question,
        urgency=submission.urgency,
        context=submission.context,
        authorised_to_convert=submission.authorised_to_convert,
        criteria_met=criteria_met,
        outside_criteria_reason=submission.outside_criteria_reason,
        status=AdviceStatus.AWAITING_REVIEW.value,
        created_by=author.sub,
        created_at=now,
        updated_at=now,
    )
    session.add(advice_request)
    await save(session)
    return advice_request


async def add_conversation_message(
    session: AsyncSession, *, advice_request: AdviceRequest, author: Principal, body: str
) -> ConversationMessage:
    """A message from either side; a practice's reply to a request for information goes back for review."""
    side = side_of(author)
    current = AdviceStatus(advice_request.status)
    now = utcnow()
    if current in TERMINAL_STATUSES:
        raise Conflict(
            f"the request is {current.value} and takes no more messages",
            allowed=[event.value for event in allowed_events(current)],
            current_status=current.value,
        )
    if side is Side.PRACTICE and current is AdviceStatus.AWAITING_GP_INFORMATION:
        advance(advice_request, AdviceEvent.PROVIDE_INFORMATION, side, now)
    # The conversation is part of the request, so a message moves its version (its ETag) on too.
    advice_request.updated_at = now
    message = ConversationMessage(
        advice_request_id=advice_request.id,
        author=author.sub,
        author_role=author.role.value,
        author_name=author.name,
        body=body,
        created_at=now,
    )
    session.add(message)
    await save(session)
    return message


async def cancel_advice_request(
    session: AsyncSession, *, advice_request: AdviceRequest, by: Principal
) -> AdviceRequest:
    """The practice withdraws a request the consultant has not yet answered."""
    advance(advice_request, AdviceEvent.CANCEL, side_of(by), utcnow())
    await save(session)
    return advice_request


class AcknowledgementDiffers(Conflict):
    title, kind = "Already acknowledged differently", "acknowledgement-differs"


@dataclass(frozen=True, slots=True)
class CloseOut:
    """The practice's answers at acknowledgement; any may be missing, and each is recorded once."""

    referral_avoided: bool | None = None
    course_of_action: CourseOfAction | None = None
    referral_outcome: ReferralOutcome | None = None

    @classmethod
    def of(cls, submission: AcknowledgementCreate | None) -> CloseOut:
        """The submission's answers, with referral_avoided as its referral outcome implies it."""
        if submission is None:
            return cls()
        return cls(
            referral_avoided=submission.answered_referral_avoided(),
            course_of_action=submission.course_of_action,
            referral_outcome=submission.referral_outcome,
        )


def _recorded(advice_request: AdviceRequest) -> dict[str, object]:
    return {
        "referral_avoided": advice_request.referral_avoided,
        "course_of_action": advice_request.course_of_action,
        "referral_outcome": advice_request.referral_outcome,
    }


def _differences(advice_request: AdviceRequest, close_out: CloseOut) -> list[str]:
    recorded = _recorded(advice_request)
    given = {
        "referral_avoided": close_out.referral_avoided,
        "course_of_action": close_out.course_of_action and close_out.course_of_action.value,
        "referral_outcome": close_out.referral_outcome and close_out.referral_outcome.value,
    }
    return [
        name
        for name, answer in given.items()
        if answer is not None and recorded[name] is not None and recorded[name] != answer
    ]


def _answer_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _refuse_a_different_answer(advice_request: AdviceRequest, close_out: CloseOut) -> None:
    """A recorded answer is never silently kept against a different one, nor changed: the caller is told."""
    differing = _differences(advice_request, close_out)
    if not differing:
        return
    recorded = _recorded(advice_request)
    # Written as the request's own JSON writes its times, so the two can be compared as text.
    acknowledged_at = (
        as_utc(advice_request.acknowledged_at or advice_request.updated_at).isoformat().replace("+00:00", "Z")
    )
    answers = ", ".join(f"{name} {_answer_text(recorded[name])}" for name in differing)
    raise AcknowledgementDiffers(
        f"the advice was acknowledged at {acknowledged_at} with {answers}; an acknowledgement cannot "
        "change a recorded outcome",
        recorded={
            "acknowledged_at": acknowledged_at,
            "acknowledgement_source": advice_request.acknowledgement_source,
            **recorded,
        },
    )


async def acknowledge_advice(
    session: AsyncSession, *, advice_request: AdviceRequest, by: Principal, close_out: CloseOut
) -> AdviceRequest:
    """The practice confirms it has the advice, closing the loop, with its close-out answers if it has them.

    A repeat that agrees with what is recorded, or only adds answers not yet given, changes nothing already
    recorded; one that answers any question differently is refused with ``AcknowledgementDiffers`` (409).
    """
    _refuse_a_different_answer(advice_request, close_out)
    _acknowledge(advice_request, side=side_of(by), source="api", by=by.sub, close_out=close_out)
    await save(session)
    return advice_request


async def record_acknowledgement(
    session: AsyncSession,
    *,
    advice_request_id: str,
    source: str,
    referral_avoided: bool | None,
    acknowledged_by: str | None,
) -> None:
    """Records an acknowledgement that arrived by another channel (a MESH business acknowledgement).

    Only advice closes a request; an acknowledgement of any other letter, or a repeat, changes nothing.
    """
    advice_request = await request_for_update(session, advice_request_id)
    if advice_request is None:
        log.warning(
            "acknowledgement for an unknown advice request", extra={"advice_request": advice_request_id}
        )
        return
    if advice_request.acknowledged_at is None and advice_request.status != AdviceStatus.ADVICE_GIVEN.value:
        return
    _acknowledge(
        advice_request,
        side=Side.PRACTICE,
        source=source,
        by=acknowledged_by,
        close_out=CloseOut(referral_avoided=referral_avoided),
    )
    await save(session)


def _acknowledge(
    advice_request: AdviceRequest, *, side: Side, source: str, by: str | None, close_out: CloseOut
) -> None:
    """The first acknowledgement closes the request; each close-out answer is kept once known.

    A MESH business acknowledgement usually arrives before the practice has answered the close-out
    questions, and a practice may acknowledge before it knows, so a later acknowledgement may add an answer,
    but never change one.
    """
    now = utcnow()
    if advice_request.acknowledged_at is None:
        advance(advice_request, AdviceEvent.ACKNOWLEDGE, side, now)
        advice_request.acknowledged_at = now
        advice_request.acknowledged_by = by
        advice_request.acknowledgement_source = source
    added = False
    if advice_request.referral_avoided is None and close_out.referral_avoided is not None:
        advice_request.referral_avoided = close_out.referral_avoided
        added = True
    if advice_request.course_of_action is None and close_out.course_of_action is not None:
        advice_request.course_of_action = close_out.course_of_action.value
        added = True
    if advice_request.referral_outcome is None and close_out.referral_outcome is not None:
        advice_request.referral_outcome = close_out.referral_outcome.value
        added = True
    if added:
        advice_request.updated_at = now


async def conversation_of(session: AsyncSession, advice_request_id: str) -> Sequence[ConversationMessage]:
    query = (
        select(ConversationMessage)
        .where(col(ConversationMessage.advice_request_id) == advice_request_id)
        .order_by(col(ConversationMessage.id))
    )
    return (await session.execute(query)).scalars().all()


async def responses_of(session: AsyncSession, advice_request_id: str) -> Sequence[AdviceResponse]:
    query = (
        select(AdviceResponse)
        .where(col(AdviceResponse.advice_request_id) == advice_request_id)
        .order_by(col(AdviceResponse.id))
    )
    return (await session.execute(query)).scalars().all()


async def list_advice_requests(
    session: AsyncSession,
    *,
    viewer: Principal,
    status: AdviceStatus | None = None,
    specialty: str | None = None,
    nhs_number: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[AdviceRequest], str | None]:
    """The requests the viewer may see, oldest first, and the cursor of the next page if there is one."""
    query = select(AdviceRequest).where(visible_to(viewer))
    if status is not None:
        query = query.where(col(AdviceRequest.status) == status.value)
    if specialty is not None:
        query = query.where(col(AdviceRequest.specialty) == specialty)
    if nhs_number is not None:
        query = query.where(col(AdviceRequest.nhs_number) == nhs_number)
    if after is not None:
        created_at, last_id = _decode_cursor(after)
        # A row value, not the equivalent OR: the database starts its index range at the cursor.
        query = query.where(
            tuple_(col(AdviceRequest.created_at), col(AdviceRequest.id)) > tuple_(created_at, last_id)
        )
    query = query.order_by(col(AdviceRequest.created_at), col(AdviceRequest.id)).limit(limit + 1)
    rows = list((await session.execute(query)).scalars().all())
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], _encode_cursor(rows[limit - 1])


def _encode_cursor(last: AdviceRequest) -> str:
    """Keyset paging on (created_at, id): stable while new requests arrive, unlike an offset."""
    return encode_cursor(orjson.dumps([as_utc(last.created_at).isoformat(), last.id]).decode())


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    text = decode_cursor(cursor, list_name=_LIST_NAME)
    try:
        created_at, last_id = orjson.loads(text)
        if isinstance(created_at, str) and isinstance(last_id, str) and not unwritable_character(last_id):
            return as_utc(datetime.fromisoformat(created_at)), last_id
    except (orjson.JSONDecodeError, ValueError, TypeError):
        pass
    raise InvalidCursor(_LIST_NAME)
