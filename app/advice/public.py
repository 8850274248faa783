"""Advice rows as the API shows them. Times go out as UTC with their offset on every engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.advice.models import AdviceRequest, AdviceResponse, ConversationMessage
from app.advice.service import as_utc
from schemas.advice import FollowUpAction
from schemas.api.advice import (
    AdviceRequestPublic,
    AdviceRequestStatePublic,
    AdviceRequestSummary,
    AdviceResponsePublic,
    AdviceStatus,
    ConversationMessagePublic,
)
from schemas.api.outbox import DeliveryStatusPublic


def _optional_utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def state_public(advice_request: AdviceRequest) -> AdviceRequestStatePublic:
    return AdviceRequestStatePublic(
        id=advice_request.id,
        status=AdviceStatus(advice_request.status),
        version=advice_request.version,
        updated_at=as_utc(advice_request.updated_at),
        advice_given_at=_optional_utc(advice_request.advice_given_at),
        closed_at=_optional_utc(advice_request.closed_at),
        acknowledged_at=_optional_utc(advice_request.acknowledged_at),
        referral_avoided=advice_request.referral_avoided,
        course_of_action=advice_request.course_of_action,
        referral_outcome=advice_request.referral_outcome,
        criteria_met=advice_request.criteria_met,
    )


def summary_public(advice_request: AdviceRequest) -> AdviceRequestSummary:
    state = state_public(advice_request)
    return AdviceRequestSummary(
        **state.model_dump(),
        nhs_number=advice_request.nhs_number,
        practice_ods=advice_request.practice_ods,
        specialty=advice_request.specialty,
        question=advice_request.question,
        urgency=advice_request.urgency,
        authorised_to_convert=advice_request.authorised_to_convert,
        created_at=as_utc(advice_request.created_at),
        outside_criteria_reason=advice_request.outside_criteria_reason,
    )


def message_public(message: ConversationMessage) -> ConversationMessagePublic:
    assert message.id is not None, "a message is flushed before it is shown"
    return ConversationMessagePublic(
        id=message.id,
        author=message.author,
        author_role=message.author_role,
        author_name=message.author_name,
        body=message.body,
        created_at=as_utc(message.created_at),
    )


def response_public(response: AdviceResponse) -> AdviceResponsePublic:
    assert response.id is not None, "a response is flushed before it is shown"
    return AdviceResponsePublic(
        id=response.id,
        outcome=response.outcome,
        recommendation=response.recommendation,
        advice=response.advice,
        actions=[FollowUpAction.model_validate(action) for action in response.actions],
        consultant=response.consultant,
        consultant_name=response.consultant_name,
        message_id=response.message_id,
        message_version=response.message_version,
        created_at=as_utc(response.created_at),
    )


def request_public(
    advice_request: AdviceRequest,
    *,
    messages: Sequence[ConversationMessage],
    responses: Sequence[AdviceResponse],
    delivery: list[DeliveryStatusPublic],
) -> AdviceRequestPublic:
    return AdviceRequestPublic(
        **summary_public(advice_request).model_dump(),
        context=advice_request.context,
        created_by=advice_request.created_by,
        messages=[message_public(message) for message in messages],
        responses=[response_public(response) for response in responses],
        delivery=delivery,
    )
