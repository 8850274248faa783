"""API models of tracked follow-up actions: what the consultant asked the practice to do, and how it ended."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field


class FollowUpStatus(StrEnum):
    """Where an action stands.

    ``open``: still to do; ``done``: the practice marked it done; ``closed-by-result``: a result dated after
    the advice showed it done; ``superseded``: the consultant answered the request again, and the newer
    answer's actions replace it.
    """

    OPEN = "open"
    DONE = "done"
    CLOSED_BY_RESULT = "closed-by-result"
    SUPERSEDED = "superseded"


class ResultEvidence(BaseModel):
    """A result that showed the action done: which analyte and when, never its value."""

    analyte: str = Field(description="The analyte's code, e.g. creatinine")
    taken_at: dt.datetime
    practice_ods: str = Field(description="The practice whose record holds the result")
    resource_id: str = Field(description="The result's id in the practice's system")


class TrackedActionPublic(BaseModel):
    id: str
    advice_request_id: str
    response_id: int = Field(description="The consultant's response that asked for it")
    nhs_number: str
    practice_ods: str
    specialty: str
    code: str = Field(description="One of the specialty's follow_up_actions")
    title: str
    note: str | None
    due_date: dt.date | None
    overdue: bool = Field(description="Open and past its due date, on the practice's calendar")
    closes_by_result: bool = Field(description="A result dated after the advice can close it by itself")
    status: FollowUpStatus
    advised_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str | None = Field(description="Who marked it done, or the check that closed it by result")
    evidence: list[ResultEvidence] = Field(
        default_factory=list, description="The results that closed it, one per analyte group"
    )


class TrackedActionPage(BaseModel):
    items: list[TrackedActionPublic]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null on the last page")


class OverdueActionNotice(BaseModel):
    """The practice feed's ``action-overdue`` event: an action passed its due date while still open."""

    action_id: str
    advice_request_id: str
    nhs_number: str
    specialty: str
    code: str
    title: str
    due_date: dt.date
