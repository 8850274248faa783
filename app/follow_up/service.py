"""Tracked follow-up actions: made from a response, superseded by the next, marked done, listed, counted.

Functions flush; the caller's unit of work commits. Least privilege as for advice: a practice sees its own
patients' actions, a consultant their specialty's, an admin all; an action the caller may not see is "not
found", exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import orjson
from sqlalchemy import ColumnElement, func, select, true, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.advice.models import AdviceRequest, AdviceResponse
from app.auth.principal import Principal, Role
from app.core.cursors import InvalidCursor, decode_cursor, encode_cursor
from app.core.errors import Conflict, NotFound
from app.follow_up.models import NO_DUE_DATE, TrackedAction
from app.specialties.base import Specialty
from schemas.advice import FollowUpAction
from schemas.api.follow_up import FollowUpStatus, ResultEvidence
from schemas.text import unwritable_character

_LIST_NAME = "the list of follow-up actions"
# A result cannot come back from the laboratory the moment the advice is given: the first check waits this
# long, and every later one the configured interval.
FIRST_CHECK_AFTER = timedelta(hours=12)


def visible_to(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.ADMIN:
        return true()
    if principal.role is Role.CONSULTANT:
        return col(TrackedAction.specialty) == principal.specialty
    return col(TrackedAction.practice_ods) == principal.ods


async def track_response_actions(
    session: AsyncSession,
    *,
    advice_request: AdviceRequest,
    response: AdviceResponse,
    actions: Sequence[FollowUpAction],
    specialty: Specialty,
    now: datetime,
) -> list[TrackedAction]:
    """One tracked action per action of the response; the open actions of earlier responses are superseded.

    A new answer to the same request replaces the old one's instructions, so its open actions stop being
    asked for (``superseded``, closed by the consultant who answered again); those already done stay done.
    """
    assert response.id is not None, "the response is flushed before its actions are tracked"
    await session.execute(
        update(TrackedAction)
        .where(
            col(TrackedAction.advice_request_id) == advice_request.id,
            col(TrackedAction.status) == FollowUpStatus.OPEN,
        )
        .values(
            status=FollowUpStatus.SUPERSEDED,
            closed_at=now,
            closed_by=response.consultant,
            closed_by_role=Role.CONSULTANT.value,
            next_check_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    definitions = {definition.code: definition for definition in specialty.follow_up_actions}
    tracked = [
        TrackedAction(
            advice_request_id=advice_request.id,
            response_id=response.id,
            nhs_number=advice_request.nhs_number,
            practice_ods=advice_request.practice_ods,
            specialty=advice_request.specialty,
            code=action.code,
            title=action.title,
            note=action.note,
            due_date=action.due_date,
            due_sort=action.due_date or NO_DUE_DATE,
            status=FollowUpStatus.OPEN.value,
            advised_at=now,
            next_check_at=now + FIRST_CHECK_AFTER if definitions[action.code].satisfied_by else None,
        )
        for action in actions
    ]
    session.add_all(tracked)
    await session.flush()
    return tracked


async def visible_action(
    session: AsyncSession, viewer: Principal, action_id: str, *, for_update: bool = False
) -> TrackedAction:
    """The action, if the viewer may see it; ``for_update`` holds its row until the caller commits."""
    query = select(TrackedAction).where(col(TrackedAction.id) == action_id, visible_to(viewer))
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no follow-up action {action_id}")
    return found


async def mark_done(session: AsyncSession, *, action: TrackedAction, by: Principal, now: datetime) -> bool:
    """The practice says the action is done; whether that changed it.

    Idempotent: an action already done, or closed by a result, is left as it is (what closed it stays on
    record). A superseded action is refused with 409: the newer advice asks for something else.
    """
    if action.status == FollowUpStatus.SUPERSEDED:
        raise Conflict(
            "the advice was given again and this action was superseded; see the request's newer actions",
            current_status=action.status,
        )
    if action.status != FollowUpStatus.OPEN:
        return False
    # Conditional, like the result check's closing: whichever commits first closes the action, and the
    # other changes nothing, on SQLite too, where the row is not locked when read.
    result = await session.execute(
        update(TrackedAction)
        .where(col(TrackedAction.id) == action.id, col(TrackedAction.status) == FollowUpStatus.OPEN)
        .values(
            status=FollowUpStatus.DONE,
            closed_at=now,
            closed_by=by.sub,
            closed_by_role=by.role.value,
            next_check_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(action)
    changed: int = result.rowcount  # type: ignore[attr-defined]
    return changed == 1


async def close_by_result(
    session: AsyncSession, *, action_id: str, evidence: Sequence[ResultEvidence], by: str, now: datetime
) -> bool:
    """Closes the action on the evidence if it is still open; False when something else closed it first."""
    result = await session.execute(
        update(TrackedAction)
        .where(col(TrackedAction.id) == action_id, col(TrackedAction.status) == FollowUpStatus.OPEN)
        .values(
            status=FollowUpStatus.CLOSED_BY_RESULT,
            closed_at=now,
            closed_by=by,
            closed_by_role=Role.ADMIN.value,
            next_check_at=None,
            evidence=[item.model_dump(mode="json") for item in evidence],
        )
        .execution_options(synchronize_session=False)
    )
    closed: int = result.rowcount  # type: ignore[attr-defined]
    return closed == 1


async def open_result_tied(session: AsyncSession, *, nhs_number: str, specialty: str) -> list[TrackedAction]:
    """The patient's open actions in the specialty that a result can close."""
    query = select(TrackedAction).where(
        col(TrackedAction.nhs_number) == nhs_number,
        col(TrackedAction.specialty) == specialty,
        col(TrackedAction.status) == FollowUpStatus.OPEN,
        col(TrackedAction.next_check_at).is_not(None),
    )
    return list((await session.execute(query)).scalars().all())


async def list_actions(
    session: AsyncSession,
    *,
    viewer: Principal,
    practice_ods: str | None = None,
    advice_request_id: str | None = None,
    status: FollowUpStatus | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[TrackedAction], str | None]:
    """The actions the viewer may see, soonest due first (those without a due date last), and the next
    page's cursor if there is one. Raises InvalidCursor (422) for a cursor this list never gave."""
    query = select(TrackedAction).where(visible_to(viewer))
    if practice_ods is not None:
        query = query.where(col(TrackedAction.practice_ods) == practice_ods)
    if advice_request_id is not None:
        query = query.where(col(TrackedAction.advice_request_id) == advice_request_id)
    if status is not None:
        query = query.where(col(TrackedAction.status) == status.value)
    if after is not None:
        due_sort, last_id = _decode_cursor(after)
        query = query.where(
            tuple_(col(TrackedAction.due_sort), col(TrackedAction.id)) > tuple_(due_sort, last_id)
        )
    query = query.order_by(col(TrackedAction.due_sort), col(TrackedAction.id)).limit(limit + 1)
    rows = list((await session.execute(query)).scalars().all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(orjson.dumps([last.due_sort.isoformat(), last.id]).decode())


async def recently_closed(
    session: AsyncSession, *, viewer: Principal, practice_ods: str, limit: int
) -> list[TrackedAction]:
    """The practice's actions the viewer may see that were marked done or closed by a result, the latest
    closed first: what the practice did, as against what the consultant replaced (superseded)."""
    query = (
        select(TrackedAction)
        .where(
            visible_to(viewer),
            col(TrackedAction.practice_ods) == practice_ods,
            col(TrackedAction.status).in_([FollowUpStatus.DONE.value, FollowUpStatus.CLOSED_BY_RESULT.value]),
        )
        .order_by(col(TrackedAction.closed_at).desc(), col(TrackedAction.id))
        .limit(limit)
    )
    return list((await session.execute(query)).scalars().all())


def _decode_cursor(cursor: str) -> tuple[date, str]:
    text = decode_cursor(cursor, list_name=_LIST_NAME)
    try:
        due_sort, last_id = orjson.loads(text)
        if isinstance(due_sort, str) and isinstance(last_id, str) and not unwritable_character(last_id):
            return date.fromisoformat(due_sort), last_id
    except (orjson.JSONDecodeError, ValueError, TypeError):
        pass
    raise InvalidCursor(_LIST_NAME)


async def overdue_counts(
    session: AsyncSession, *, specialty: str, nhs_numbers: Sequence[str], today: date
) -> dict[str, int]:
    """Per patient, their open actions in the specialty whose due date has passed."""
    if not nhs_numbers:
        return {}
    query = (
        select(col(TrackedAction.nhs_number), func.count())
        .where(
            col(TrackedAction.nhs_number).in_(list(nhs_numbers)),
            col(TrackedAction.specialty) == specialty,
            col(TrackedAction.status) == FollowUpStatus.OPEN,
            col(TrackedAction.due_sort) < today,
        )
        .group_by(col(TrackedAction.nhs_number))
    )
    return {nhs_number: int(count) for nhs_number, count in (await session.execute(query)).all()}
