"""One row per follow-up action of a consultant's response, from the advice until something closes it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from schemas.api.follow_up import FollowUpStatus

# The keyset's stand-in for "no due date": such actions sort after every dated one.
NO_DUE_DATE = date(9999, 12, 31)
_STATUSES = ", ".join(f"'{status.value}'" for status in FollowUpStatus)


def _new_id() -> str:
    return uuid.uuid4().hex


def _timestamp(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class TrackedAction(SQLModel, table=True):
    """An action the practice was asked to take.

    ``next_check_at`` is set only while the action is open and a result can close it: when the background
    check next reads the patient's record for it (pushed on while a worker holds it). ``overdue_notified_at``
    is when its ``action-overdue`` feed event was written, so it is written once.
    """

    __tablename__ = "follow_up_actions"
    # Each list's filter ending in its keyset (due_sort, id), so a page is a range read in order; the check's
    # and the overdue notices' queues; the worklist's count per patient.
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="ck_follow_up_actions_status"),
        Index("ix_follow_up_actions_practice_due", "practice_ods", "due_sort", "id"),
        Index("ix_follow_up_actions_practice_status_due", "practice_ods", "status", "due_sort", "id"),
        Index("ix_follow_up_actions_request_due", "advice_request_id", "due_sort", "id"),
        Index("ix_follow_up_actions_check", "status", "next_check_at"),
        Index("ix_follow_up_actions_overdue", "status", "overdue_notified_at", "due_sort"),
        Index("ix_follow_up_actions_patient", "nhs_number", "specialty", "status"),
    )

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    advice_request_id: str = Field(
        sa_column=Column(String(32), ForeignKey("advice_requests.id"), nullable=False)
    )
    response_id: int = Field(sa_column=Column(Integer, ForeignKey("advice_responses.id"), nullable=False))
    nhs_number: str = Field(max_length=10)
    practice_ods: str = Field(max_length=10)
    specialty: str = Field(max_length=64)
    code: str = Field(max_length=64)
    title: str = Field(max_length=300)
    note: str | None = Field(default=None, max_length=1000)
    due_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    due_sort: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(max_length=32)
    advised_at: datetime = _timestamp(nullable=False)
    next_check_at: datetime | None = _timestamp()
    overdue_notified_at: datetime | None = _timestamp()
    closed_at: datetime | None = _timestamp()
    closed_by: str | None = Field(default=None, max_length=200)
    closed_by_role: str | None = Field(default=None, max_length=32)
    evidence: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
