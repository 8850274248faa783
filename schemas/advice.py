"""The advice message: what goes back to the practice when a consultant answers an advice request.

A snapshot taken when the advice is given, carried by the outbox to whichever channel the practice uses
(MESH letter, FHIR push, or the practice's feed). Adapters build their payloads from it and nothing else.
``message_id`` is stable for the life of the message so every receiver can deduplicate redeliveries.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

AdviceOutcome = Literal["return-with-advice", "further-information-required", "converted-to-referral"]
AdviceRecommendation = Literal[
    "advice-only", "advice-then-refer-if-required", "referral-recommended", "other"
]
Urgency = Literal["routine", "urgent"]


class FollowUpAction(BaseModel):
    code: str
    title: str
    due_date: dt.date | None = None
    note: str | None = Field(default=None, max_length=1000)


class ChartPoint(BaseModel):
    date: dt.date
    value: float


class AdvicePatient(BaseModel):
    nhs_number: str
    name: str | None = None
    family_name: str | None = None
    birth_date: dt.date | None = None


class AdviceMessage(BaseModel):
    message_id: str = Field(description="Stable identifier of this message; receivers deduplicate on it")
    advice_request_id: str
    version: int = Field(ge=1, description="1 for the first advice; higher when advice is re-issued")
    practice_ods: str
    practice_name: str | None = None
    specialty: str
    specialty_title: str
    patient: AdvicePatient
    question: str
    urgency: Urgency
    requested_at: dt.datetime
    outcome: AdviceOutcome
    recommendation: AdviceRecommendation
    advice: str = Field(max_length=8000)
    actions: list[FollowUpAction] = Field(default_factory=list)
    consultant_name: str | None = None
    consultant_id: str
    given_at: dt.datetime
    egfr_chart: list[ChartPoint] = Field(
        default_factory=list, description="eGFR points for the letter's chart, where the specialty has one"
    )
