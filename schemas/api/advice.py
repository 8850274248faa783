"""API models of advice requests: the practice's question, the conversation, the consultant's response.

The status vocabulary lives here so that the state machine and the API spell it one way.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.advice import AdviceOutcome, AdviceRecommendation, FollowUpAction, Urgency
from schemas.api.cds_hooks import CdsCardRuleMetrics
from schemas.api.outbox import DeliveryStatusPublic
from schemas.nhs_number import NhsNumber
from schemas.text import AdviceText, Code, MessageText, NoteText, WrittenJson

CONTEXT_MAX_BYTES = 16_000


class AdviceStatus(StrEnum):
    AWAITING_REVIEW = "awaiting-review"
    AWAITING_GP_INFORMATION = "awaiting-gp-information"
    ADVICE_GIVEN = "advice-given"
    CLOSED = "closed"
    CONVERTED_TO_REFERRAL = "converted-to-referral"
    CANCELLED = "cancelled"


class AdviceRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nhs_number: NhsNumber
    specialty: Code = Field(min_length=1, description="A specialty code from /v1/specialties")
    question: MessageText = Field(min_length=1)
    urgency: Urgency
    context: WrittenJson | None = Field(
        default=None, description=f"Optional structured context, at most {CONTEXT_MAX_BYTES} bytes of JSON"
    )
    authorised_to_convert: bool = Field(
        default=False,
        description=(
            "Do you authorise the provider to convert this advice request into a referral if appropriate? "
            "Without it, a consultant's conversion is refused (409) and referring stays with the practice"
        ),
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, question: str) -> str:
        if not question.strip():
            raise ValueError("the question is blank")
        return question

    @field_validator("context")
    @classmethod
    def _bounded(cls, context: dict[str, Any] | None) -> dict[str, Any] | None:
        if context is None:
            return None
        try:
            encoded = orjson.dumps(context)
        except orjson.JSONEncodeError:
            # orjson stores integers of at most 64 bits, and nests at most 254 levels deep.
            raise ValueError("the context holds a value that cannot be stored as JSON") from None
        if len(encoded) > CONTEXT_MAX_BYTES:
            raise ValueError(f"the context is larger than {CONTEXT_MAX_BYTES} bytes of JSON")
        return context


class AdviceRequestStatePublic(BaseModel):
    """Where a request stands; ``version`` is its ETag."""

    id: str
    status: AdviceStatus
    version: int
    updated_at: dt.datetime
    advice_given_at: dt.datetime | None
    closed_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    referral_avoided: bool | None


class ConversationMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: MessageText = Field(min_length=1)


class ConversationMessagePublic(BaseModel):
    id: int
    author: str
    author_role: str
    author_name: str | None
    body: str
    created_at: dt.datetime


class ConversationMessagePosted(ConversationMessagePublic):
    request: AdviceRequestStatePublic


class FollowUpActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code = Field(min_length=1, description="One of the specialty's follow_up_actions")
    due_date: dt.date | None = Field(default=None, description="Defaults to today plus the action's due days")
    note: NoteText | None = None


class AdviceResponseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: AdviceOutcome
    recommendation: AdviceRecommendation
    advice: AdviceText = Field(min_length=1)
    actions: list[FollowUpActionCreate] = Field(default_factory=list, max_length=50)


class AdviceResponsePublic(BaseModel):
    id: int
    outcome: AdviceOutcome
    recommendation: AdviceRecommendation
    advice: str
    actions: list[FollowUpAction]
    consultant: str
    consultant_name: str | None
    message_id: str = Field(description="The advice message that carries this response to the practice")
    message_version: int
    created_at: dt.datetime


class AdviceResponsePosted(AdviceResponsePublic):
    request: AdviceRequestStatePublic


class AcknowledgementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    referral_avoided: bool | None = Field(
        default=None,
        description=(
            "Whether the advice avoided a referral the practice would otherwise make. Recorded once: the "
            "first acknowledgement closes the request, and a later one may add this answer if none was "
            "given. A repeat that agrees, or says nothing, is answered 200 with the request unchanged; "
            "one that answers differently is 409, saying what was recorded and when."
        ),
    )


class AdviceRequestSummary(BaseModel):
    id: str
    nhs_number: str
    practice_ods: str
    specialty: str
    question: str
    urgency: Urgency
    authorised_to_convert: bool = Field(
        description="The practice authorised conversion of this request into a referral"
    )
    status: AdviceStatus
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    advice_given_at: dt.datetime | None
    closed_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    referral_avoided: bool | None


class AdviceRequestPublic(AdviceRequestSummary):
    context: dict[str, Any] | None
    created_by: str
    messages: list[ConversationMessagePublic]
    responses: list[AdviceResponsePublic]
    delivery: list[DeliveryStatusPublic] = Field(description="Where each advice message's delivery stands")


class AdviceRequestPage(BaseModel):
    items: list[AdviceRequestSummary]
    next_cursor: str | None = Field(description="Pass as ?after= for the next page; null on the last page")


class AdviceMetricsGroup(BaseModel):
    specialty: str
    practice_ods: str
    requests: int
    answered: int = Field(description="Requests the consultant answered with advice or a referral")
    median_hours_to_advice: float | None = Field(description="From request to first answer; null if none")
    p90_hours_to_advice: float | None = Field(description="90th percentile, interpolated (percentile_cont)")
    advice_only_share: float | None = Field(
        description="Share of answered requests whose latest advice recommends advice only"
    )
    converted_to_referral_share: float | None = Field(
        description="Share of answered requests converted to a referral"
    )
    acknowledgements_with_outcome: int = Field(
        description="Acknowledgements that said whether a referral was avoided"
    )
    referral_avoided_share: float | None = Field(
        description="Share of those acknowledgements that reported a referral avoided"
    )


class AdviceMetricsPublic(BaseModel):
    generated_at: dt.datetime
    groups: list[AdviceMetricsGroup]
    cds_cards: list[CdsCardRuleMetrics] = Field(
        default_factory=list, description="CDS Hooks cards per rule: how often GPs accepted or overrode them"
    )
