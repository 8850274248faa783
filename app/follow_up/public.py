"""Tracked actions as the API shows them. Times go out as UTC with their offset on every engine."""

from __future__ import annotations

from datetime import date

from app.advice.service import as_utc
from app.follow_up.models import TrackedAction
from app.specialties.registry import SPECIALTIES
from schemas.api.follow_up import FollowUpStatus, ResultEvidence, TrackedActionPublic


def action_public(action: TrackedAction, *, today: date) -> TrackedActionPublic:
    """``today`` is the practice's day: an open action is overdue once its due day has passed."""
    status = FollowUpStatus(action.status)
    return TrackedActionPublic(
        id=action.id,
        advice_request_id=action.advice_request_id,
        response_id=action.response_id,
        nhs_number=action.nhs_number,
        practice_ods=action.practice_ods,
        specialty=action.specialty,
        code=action.code,
        title=action.title,
        note=action.note,
        due_date=action.due_date,
        overdue=status is FollowUpStatus.OPEN and action.due_date is not None and action.due_date < today,
        closes_by_result=_closes_by_result(action),
        status=status,
        advised_at=as_utc(action.advised_at),
        closed_at=as_utc(action.closed_at) if action.closed_at is not None else None,
        closed_by=action.closed_by,
        evidence=[ResultEvidence.model_validate(item) for item in action.evidence or ()],
    )


def _closes_by_result(action: TrackedAction) -> bool:
    """Whether its specialty says a result can show it done, whatever has closed it since."""
    specialty = SPECIALTIES.get(action.specialty)
    definitions = specialty.follow_up_actions if specialty is not None else ()
    return any(definition.satisfied_by for definition in definitions if definition.code == action.code)
