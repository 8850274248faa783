"""The consultant's response, and the advice message that carries it back to the practice.

Every response is sent: the practice must learn of advice, of a conversion to a referral, and of a request
for more information alike. The message goes to the outbox in the same transaction as the response, so
either both are saved or neither is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.advice.letter_context import LetterContext, letter_context
from app.advice.models import AdviceRequest, AdviceResponse
from app.advice.service import advance, as_utc, save, utcnow
from app.advice.states import OUTCOME_EVENTS, AdviceEvent, Side
from app.auth.principal import Principal
from app.clinics.service import mark_patient_advised
from app.core.errors import Unprocessable
from app.follow_up.service import track_response_actions
from app.outbox.service import enqueue_advice
from app.records.practices import PracticeConfig
from app.records.wiring import PracticeNetwork
from app.referrals.service import CONVERSION_OUTCOME, ensure_conversion_authorised, hand_on_referral
from app.specialties.base import Specialty
from app.specialties.registry import get_specialty
from app.specialties.settings import SpecialtySettings
from schemas.advice import AdviceMessage, FollowUpAction
from schemas.api.advice import AdviceResponseCreate, FollowUpActionCreate

# Due dates are days on the practice's calendar, which is England's, not UTC's.
PRACTICE_TIME_ZONE = ZoneInfo("Europe/London")

_ANSWERS = frozenset({AdviceEvent.GIVE_ADVICE, AdviceEvent.CONVERT_TO_REFERRAL})


def practice_today() -> date:
    return datetime.now(PRACTICE_TIME_ZONE).date()


def follow_up_actions(
    specialty: Specialty, requested: Sequence[FollowUpActionCreate], *, today: date
) -> list[FollowUpAction]:
    """The requested actions, titled from the specialty's list and due by default after its usual interval."""
    known = {definition.code: definition for definition in specialty.follow_up_actions}
    unknown = [(index, action.code) for index, action in enumerate(requested) if action.code not in known]
    if unknown:
        allowed = ", ".join(known)
        raise Unprocessable(
            f"unknown follow-up action(s) for {specialty.code}: {', '.join(code for _, code in unknown)}; "
            f"the allowed codes are {allowed}",
            errors=[
                {
                    "location": ["body", "actions", str(index), "code"],
                    "message": f"{code!r} is not one of {specialty.code}'s follow-up actions ({allowed})",
                    "type": "unknown_action",
                }
                for index, code in unknown
            ],
            allowed=list(known),
        )
    actions = []
    for action in requested:
        definition = known[action.code]
        due = action.due_date
        if due is None and definition.default_due_days is not None:
            due = today + timedelta(days=definition.default_due_days)
        actions.append(
            FollowUpAction(code=action.code, title=definition.title, due_date=due, note=action.note)
        )
    return actions


async def give_advice_response(
    session: AsyncSession,
    *,
    advice_request: AdviceRequest,
    consultant: Principal,
    submission: AdviceResponseCreate,
    practices: Mapping[str, PracticeConfig],
    letter: LetterContext,
    referral_endpoint_configured: bool,
) -> tuple[AdviceResponse, AdviceMessage]:
    """Records the consultant's answer, moves the request on, and queues the message for the practice;
    a conversion also queues the referral. Raises Conflict for a conversion the practice did not authorise."""
    specialty = get_specialty(advice_request.specialty)
    if submission.outcome not in specialty.advice_outcomes:
        raise Unprocessable(f"{submission.outcome} is not an outcome {specialty.code} offers")
    converting = submission.outcome == CONVERSION_OUTCOME
    if converting:
        ensure_conversion_authorised(advice_request)
    actions = follow_up_actions(specialty, submission.actions, today=practice_today())
    event = OUTCOME_EVENTS[submission.outcome]
    now = utcnow()
    advance(advice_request, event, Side.CONSULTANT, now)
    if event in _ANSWERS and advice_request.advice_given_at is None:
        advice_request.advice_given_at = now
    response = AdviceResponse(
        advice_request_id=advice_request.id,
        outcome=submission.outcome,
        recommendation=submission.recommendation,
        advice=submission.advice,
        actions=[action.model_dump(mode="json") for action in actions],
        consultant=consultant.sub,
        consultant_name=consultant.name,
        message_id=uuid.uuid4().hex,
        message_version=await _messages_sent(session, advice_request.id) + 1,
        created_at=now,
    )
    session.add(response)
    await save(session)
    await track_response_actions(
        session,
        advice_request=advice_request,
        response=response,
        actions=actions,
        specialty=specialty,
        now=now,
    )
    message = _advice_message(advice_request, response, actions, specialty, practices, letter)
    await enqueue_advice(session, message, delivery=_delivery(practices, advice_request.practice_ods))
    if converting:
        await hand_on_referral(session, message, endpoint_configured=referral_endpoint_configured)
    return response, message


# A question back to the practice leaves the patient waiting on the clinic list; these answer it.
ADVISES = frozenset({"return-with-advice", "converted-to-referral"})


async def answer_advice_request(
    session: AsyncSession,
    *,
    advice_request: AdviceRequest,
    consultant: Principal,
    submission: AdviceResponseCreate,
    network: PracticeNetwork,
    now: datetime,
    specialty_settings: SpecialtySettings,
) -> AdviceResponse:
    """The consultant's answer with its letter: the patient and chart read from their practice, then
    the response recorded and the message queued. Every way of answering goes through here."""
    if submission.outcome == CONVERSION_OUTCOME:
        # Before the record is read: a refused conversion needs nothing from the practice's system.
        ensure_conversion_authorised(advice_request)
    letter = await letter_context(
        network,
        get_specialty(advice_request.specialty),
        advice_request.nhs_number,
        now=now,
        specialty_settings=specialty_settings,
    )
    response, _message = await give_advice_response(
        session,
        advice_request=advice_request,
        consultant=consultant,
        submission=submission,
        practices=network.practices,
        letter=letter,
        referral_endpoint_configured=network.referrals.endpoint is not None,
    )
    if submission.outcome in ADVISES:
        await mark_patient_advised(
            session, specialty=advice_request.specialty, nhs_number=advice_request.nhs_number
        )
    return response


async def _messages_sent(session: AsyncSession, advice_request_id: str) -> int:
    query = select(func.count()).where(col(AdviceResponse.advice_request_id) == advice_request_id)
    return int((await session.execute(query)).scalar_one())


def _delivery(practices: Mapping[str, PracticeConfig], ods: str) -> str:
    """How the practice takes advice; a practice not in the practices file reads its feed."""
    practice = practices.get(ods)
    return practice.delivery if practice is not None else "feed"


def _advice_message(
    advice_request: AdviceRequest,
    response: AdviceResponse,
    actions: list[FollowUpAction],
    specialty: Specialty,
    practices: Mapping[str, PracticeConfig],
    letter: LetterContext,
) -> AdviceMessage:
    """The snapshot the practice receives, with the patient as their practice records them."""
    practice = practices.get(advice_request.practice_ods)
    return AdviceMessage(
        message_id=response.message_id,
        advice_request_id=advice_request.id,
        version=response.message_version,
        practice_ods=advice_request.practice_ods,
        practice_name=practice.name if practice is not None else None,
        specialty=specialty.code,
        specialty_title=specialty.title,
        patient=letter.patient,
        question=advice_request.question,
        urgency=advice_request.urgency,
        requested_at=as_utc(advice_request.created_at),
        outcome=response.outcome,
        recommendation=response.recommendation,
        advice=response.advice,
        actions=actions,
        consultant_name=response.consultant_name,
        consultant_id=response.consultant,
        given_at=as_utc(response.created_at),
        egfr_chart=letter.chart,
    )
