"""Advice requests, their conversation and the consultants' responses; and the idempotency keys of writes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, UniqueConstraint, false
from sqlmodel import AutoString, Field, SQLModel

from schemas.advice import AdviceOutcome, AdviceRecommendation, Urgency

# The ORM checks and bumps this on every UPDATE of a request (``WHERE version = :seen``), so two writers who
# both passed the If-Match check cannot both win; it is also the request's ETag.
_request_version = Column("version", Integer, nullable=False)


def _new_id() -> str:
    return uuid.uuid4().hex


def _timestamp(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class AdviceRequest(SQLModel, table=True):
    """A practice's question to a specialty about one patient.

    ``advice_given_at`` is when the consultant first answered (with advice, or by converting the request to a
    referral); ``closed_at`` is when the request reached a terminal state.
    """

    __tablename__ = "advice_requests"
    # One per way the list is filtered by role (consultant: specialty, and by status for their queue;
    # practice: its own; admin: none), each ending in the keyset (created_at, id) so that a page is a range
    # read in order, with no sort.
    __table_args__ = (
        Index("ix_advice_requests_specialty_created", "specialty", "created_at", "id"),
        Index("ix_advice_requests_specialty_status_created", "specialty", "status", "created_at", "id"),
        Index("ix_advice_requests_practice_created", "practice_ods", "created_at", "id"),
        Index("ix_advice_requests_created", "created_at", "id"),
    )
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _request_version}

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    nhs_number: str = Field(max_length=10, index=True)
    practice_ods: str = Field(max_length=10)
    specialty: str = Field(max_length=64)
    question: str = Field(max_length=4000)
    urgency: Urgency = Field(sa_type=AutoString(16))
    context: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The practice's e-RS-style authorisation for the provider to convert the request into a referral.
    authorised_to_convert: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    status: str = Field(max_length=32, index=True)
    version: int = Field(default=1, sa_column=_request_version)
    created_by: str = Field(max_length=200)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    advice_given_at: datetime | None = _timestamp(nullable=True)
    closed_at: datetime | None = _timestamp(nullable=True)
    acknowledged_at: datetime | None = _timestamp(nullable=True)
    acknowledged_by: str | None = Field(default=None, max_length=200)
    acknowledgement_source: str | None = Field(default=None, max_length=32)
    referral_avoided: bool | None = None
    # Champlain BASE's close-out answers (schemas.api.advice.CourseOfAction, ReferralOutcome).
    course_of_action: str | None = Field(default=None, max_length=64)
    referral_outcome: str | None = Field(default=None, max_length=64)
    # The specialty's referral criteria met when the request was made; null when they could not be evaluated.
    criteria_met: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    outside_criteria_reason: str | None = Field(default=None, max_length=1000)


class ConversationMessage(SQLModel, table=True):
    """One message between the practice and the consultant about a request."""

    __tablename__ = "advice_messages"

    id: int | None = Field(default=None, primary_key=True)
    advice_request_id: str = Field(foreign_key="advice_requests.id", max_length=32, index=True)
    author: str = Field(max_length=200)
    author_role: str = Field(max_length=32)
    author_name: str | None = Field(default=None, max_length=200)
    body: str = Field(max_length=4000)
    created_at: datetime = _timestamp()


class AdviceResponse(SQLModel, table=True):
    """A consultant's answer, and the identity of the advice message that carried it to the practice."""

    __tablename__ = "advice_responses"

    id: int | None = Field(default=None, primary_key=True)
    advice_request_id: str = Field(foreign_key="advice_requests.id", max_length=32, index=True)
    outcome: AdviceOutcome = Field(sa_type=AutoString(64))
    recommendation: AdviceRecommendation = Field(sa_type=AutoString(64))
    advice: str = Field(max_length=8000)
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    consultant: str = Field(max_length=200)
    consultant_name: str | None = Field(default=None, max_length=200)
    message_id: str = Field(max_length=32, unique=True)
    message_version: int
    created_at: datetime = _timestamp()


class IdempotencyKey(SQLModel, table=True):
    """The first response to a write made with an ``Idempotency-Key``, replayed for retries of that write."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=200)
    key: str = Field(max_length=200)
    route: str = Field(max_length=300)
    request_hash: str = Field(max_length=64)
    response_status: int
    response_body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    response_headers: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp()
