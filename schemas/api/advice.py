"""API models of advice requests: the practice's question, the conversation, the consultant's response.

The status vocabulary lives here so that the state machine and the API spell it one way.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


class CourseOfAction(StrEnum):
    """Champlain BASE close-out question 1: what the advice did to the practice's course of action."""

    CONFIRMED = "confirmed-course-of-action"
    NEW_OR_ADDITIONAL = "new-or-additional-course-of-action"
    RESPONSE_NOT_USEFUL = "response-not-useful"
    NONE = "none"


class ReferralOutcome(StrEnum):
    """Champlain BASE close-out question 2: what became of a referral the practice had or had not in mind."""

    CONTEMPLATED_NOW_AVOIDED = "referral-contemplated-now-avoided"
    CONTEMPLATED_STILL_NEEDED = "referral-contemplated-still-needed"
    NOT_CONTEMPLATED_NOT_NEEDED = "referral-not-contemplated-not-needed"
    NOT_CONTEMPLATED_NOW_INITIATED = "referral-not-contemplated-now-initiated"
    NO_BENEFIT = "no-benefit"
    OTHER = "other"


# Whether a referral was avoided, where the referral outcome says so unambiguously. "Avoided" means a referral
# the practice would otherwise have made was not made: only the first outcome; a referral still needed, newly
# started, or never in mind avoided none. "no-benefit" and "other" say nothing about it.
REFERRAL_AVOIDED_BY_OUTCOME: dict[ReferralOutcome, bool] = {
    ReferralOutcome.CONTEMPLATED_NOW_AVOIDED: True,
    ReferralOutcome.CONTEMPLATED_STILL_NEEDED: False,
    ReferralOutcome.NOT_CONTEMPLATED_NOT_NEEDED: False,
    ReferralOutcome.NOT_CONTEMPLATED_NOW_INITIATED: False,
}

# Outcomes where the patient's question was settled with no specialist visit: the referral the practice had in
# mind was avoided, or none was needed. The share of these is "resolved without a visit" in the metrics.
RESOLVED_WITHOUT_VISIT = frozenset(
    {ReferralOutcome.CONTEMPLATED_NOW_AVOIDED, ReferralOutcome.NOT_CONTEMPLATED_NOT_NEEDED}
)


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
    outside_criteria_reason: NoteText | None = Field(
        default=None,
        min_length=1,
        description=(
            "Why the practice asks although the patient meets none of the specialty's referral criteria. "
            "Required (422 without it) when the GP record was read and meets none; kept when given anyway"
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

    @field_validator("outside_criteria_reason")
    @classmethod
    def _reason_not_blank(cls, reason: str | None) -> str | None:
        if reason is not None and not reason.strip():
            raise ValueError("the reason is blank")
        return reason


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
    course_of_action: CourseOfAction | None = Field(description="The practice's close-out answer 1, if given")
    referral_outcome: ReferralOutcome | None = Field(
        description="The practice's close-out answer 2, if given"
    )
    criteria_met: list[str] | None = Field(
        default=None,
        description=(
            "Codes of the specialty's referral criteria the patient met when the request was made ([] for "
            "none); null when they are unknown: the GP record could not be read, or was read only in part "
            "and met none"
        ),
    )


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
            "one that answers differently is 409, saying what was recorded and when. Implied by "
            "referral_outcome where that is unambiguous; contradicting it is 422."
        ),
    )
    course_of_action: CourseOfAction | None = Field(
        default=None,
        description="Close-out question 1: did the advice confirm or change the course of action",
    )
    referral_outcome: ReferralOutcome | None = Field(
        default=None,
        description=(
            "Close-out question 2: what became of a referral. referral-contemplated-now-avoided implies "
            "referral_avoided true; referral-contemplated-still-needed, referral-not-contemplated-not-needed "
            "and referral-not-contemplated-now-initiated imply false; no-benefit and other imply neither"
        ),
    )

    @model_validator(mode="after")
    def _outcome_agrees_with_referral_avoided(self) -> AcknowledgementCreate:
        implied = self.implied_referral_avoided()
        if self.referral_avoided is not None and implied is not None and implied != self.referral_avoided:
            raise ValueError(
                f"referral_outcome {self.referral_outcome} means referral_avoided {str(implied).lower()}, "
                f"not {str(self.referral_avoided).lower()}"
            )
        return self

    def implied_referral_avoided(self) -> bool | None:
        if self.referral_outcome is None:
            return None
        return REFERRAL_AVOIDED_BY_OUTCOME.get(self.referral_outcome)

    def answered_referral_avoided(self) -> bool | None:
        """The answer given, or the one the referral outcome implies."""
        return self.referral_avoided if self.referral_avoided is not None else self.implied_referral_avoided()


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
    course_of_action: CourseOfAction | None
    referral_outcome: ReferralOutcome | None
    criteria_met: list[str] | None = Field(
        description=(
            "Codes of the specialty's referral criteria the patient met when the request was made ([] for "
            "none); null when they are unknown: the GP record could not be read, or was read only in part "
            "and met none"
        )
    )
    outside_criteria_reason: str | None


class AdviceRequestPublic(AdviceRequestSummary):
    context: dict[str, Any] | None
    created_by: str
    messages: list[ConversationMessagePublic]
    responses: list[AdviceResponsePublic]
    delivery: list[DeliveryStatusPublic] = Field(description="Where each advice message's delivery stands")


class AdviceRequestPage(BaseModel):
    items: list[AdviceRequestSummary]
    next_cursor: str | None = Field(description="Pass as ?after= for the next page; null on the last page")


class CriteriaCounts(BaseModel):
    inside: int = Field(description="Requests for patients who met at least one referral criterion")
    outside: int = Field(description="Requests for patients whose record was read and met none")
    unknown: int = Field(description="Requests whose criteria could not be evaluated when they were made")


class AdviceMetricsFigures(BaseModel):
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
    resolved_without_visit_share: float | None = Field(
        description=(
            "Share of requests with a referral_outcome whose outcome is referral-contemplated-now-avoided "
            "or referral-not-contemplated-not-needed: settled with no specialist visit"
        )
    )
    course_of_action: dict[CourseOfAction, int] = Field(
        description="How many close-outs gave each course_of_action answer (every answer listed)"
    )
    referral_outcome: dict[ReferralOutcome, int] = Field(
        description="How many close-outs gave each referral_outcome answer (every answer listed)"
    )
    criteria: CriteriaCounts


class AdviceMetricsGroup(AdviceMetricsFigures):
    specialty: str
    practice_ods: str


class SpecialtyAdviceMetrics(AdviceMetricsFigures):
    specialty: str


class PracticeAdviceMetrics(AdviceMetricsFigures):
    practice_ods: str


class AdviceMetricsPublic(BaseModel):
    generated_at: dt.datetime
    groups: list[AdviceMetricsGroup] = Field(description="One per specialty and practice")
    by_specialty: list[SpecialtyAdviceMetrics] = Field(description="Each specialty over all its practices")
    by_practice: list[PracticeAdviceMetrics] = Field(description="Each practice over all specialties")
    cds_cards: list[CdsCardRuleMetrics] = Field(
        default_factory=list, description="CDS Hooks cards per rule: how often GPs accepted or overrode them"
    )
