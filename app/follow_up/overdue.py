"""The practice feed's ``action-overdue`` events: one per action that passes its due date while open.

An action is overdue once its due day has passed on the practice's calendar (England's). Any number of
workers may run this: each action is taken by a conditional UPDATE of ``overdue_notified_at`` before its event
is written, in one transaction, so only one of them writes it; the event's id is the action's, so even a
retried transaction cannot write it twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.follow_up.models import TrackedAction
from app.outbox.feed import ACTION_OVERDUE
from app.outbox.service import FEED_EVENT_PREFIX, enqueue_feed_event
from schemas.api.follow_up import FollowUpStatus, OverdueActionNotice


def overdue_event_id(action_id: str) -> str:
    return f"{FEED_EVENT_PREFIX}{ACTION_OVERDUE}-{action_id}"


async def notify_overdue(session: AsyncSession, *, today: date, now: datetime, limit: int) -> int:
    """Writes the feed event of up to ``limit`` newly overdue actions; how many it wrote."""
    candidates = (
        select(TrackedAction)
        .where(
            col(TrackedAction.status) == FollowUpStatus.OPEN,
            col(TrackedAction.overdue_notified_at).is_(None),
            col(TrackedAction.due_sort) < today,
        )
        .order_by(col(TrackedAction.due_sort))
        .limit(limit)
    )
    written = 0
    for action in list((await session.execute(candidates)).scalars().all()):
        taken = await session.execute(
            update(TrackedAction)
            .where(col(TrackedAction.id) == action.id, col(TrackedAction.overdue_notified_at).is_(None))
            .values(overdue_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            continue
        assert action.due_date is not None, "an action without a due date is never overdue"
        notice = OverdueActionNotice(
            action_id=action.id,
            advice_request_id=action.advice_request_id,
            nhs_number=action.nhs_number,
            specialty=action.specialty,
            code=action.code,
            title=action.title,
            due_date=action.due_date,
        )
        await enqueue_feed_event(
            session,
            event_id=overdue_event_id(action.id),
            advice_request_id=action.advice_request_id,
            practice_ods=action.practice_ods,
            payload={"event": ACTION_OVERDUE, "action": notice.model_dump(mode="json")},
            now=now,
        )
        written += 1
    return written
