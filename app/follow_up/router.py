"""The follow-up API: a practice's actions, a request's actions, and the practice marking one done.

Least privilege: only the practice's own GP users and systems mark its actions done; the practice, the
specialty's consultants and admins read them. Every call is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from app.advice.access import visible_request
from app.advice.responses import practice_today
from app.advice.service import utcnow
from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.core.cursors import CURSOR_MAX_LENGTH
from app.core.deps import AuditedSessionDep, PrincipalDep, SessionDep, audited, require_roles
from app.core.errors import Forbidden
from app.core.openapi import problem_responses
from app.core.params import AdviceRequestIdPath, record_id_path
from app.follow_up.models import TrackedAction
from app.follow_up.public import action_public
from app.follow_up.service import list_actions, mark_done, visible_action
from schemas.api.follow_up import FollowUpStatus, TrackedActionPage, TrackedActionPublic

router = APIRouter(prefix="/v1", tags=["follow-up actions"])

PracticeDep = Annotated[Principal, Depends(require_roles(Role.GP, Role.GP_SYSTEM))]
ActionIdPath = Annotated[str, record_id_path("The follow-up action's id")]
StatusQuery = Annotated[FollowUpStatus | None, Query(description="Only actions in this status")]
AfterQuery = Annotated[
    str | None, Query(max_length=CURSOR_MAX_LENGTH, description="The `next_cursor` of the page before")
]
LimitQuery = Annotated[int, Query(ge=1, le=200)]


def _page(rows: list[TrackedAction], next_cursor: str | None) -> TrackedActionPage:
    today = practice_today()
    return TrackedActionPage(items=[action_public(row, today=today) for row in rows], next_cursor=next_cursor)


@router.get(
    "/practices/{ods}/follow-up-actions",
    response_model=TrackedActionPage,
    responses=problem_responses(401, 403, 422, 503),
)
async def browse_practice_actions(
    ods: Annotated[str, Path(pattern=r"^[A-Z0-9]{3,10}$", description="The practice's ODS code")],
    viewer: PrincipalDep,
    session: SessionDep,
    _note: Annotated[AuditNote, Depends(audited("list a practice's follow-up actions"))],
    status: StatusQuery = None,
    after: AfterQuery = None,
    limit: LimitQuery = 50,
) -> TrackedActionPage:
    """The practice's follow-up actions, soonest due first (overdue ones lead among the open); a consultant
    sees their specialty's."""
    if viewer.is_practice and viewer.ods != ods:
        raise Forbidden("a practice reads only its own follow-up actions")
    rows, next_cursor = await list_actions(
        session, viewer=viewer, practice_ods=ods, status=status, after=after, limit=limit
    )
    return _page(rows, next_cursor)


@router.get(
    "/advice-requests/{advice_request_id}/follow-up-actions",
    response_model=TrackedActionPage,
    responses=problem_responses(401, 404, 422, 503),
)
async def browse_request_actions(
    advice_request_id: AdviceRequestIdPath,
    viewer: PrincipalDep,
    session: SessionDep,
    note: Annotated[AuditNote, Depends(audited("list an advice request's follow-up actions"))],
    status: StatusQuery = None,
    after: AfterQuery = None,
    limit: LimitQuery = 50,
) -> TrackedActionPage:
    """The follow-up actions of one request, every response's, soonest due first."""
    advice_request = await visible_request(session, viewer, advice_request_id)
    note.nhs_number = advice_request.nhs_number
    rows, next_cursor = await list_actions(
        session, viewer=viewer, advice_request_id=advice_request.id, status=status, after=after, limit=limit
    )
    return _page(rows, next_cursor)


@router.get(
    "/follow-up-actions/{action_id}",
    response_model=TrackedActionPublic,
    responses=problem_responses(401, 404, 422, 503),
)
async def read_action(
    action_id: ActionIdPath,
    viewer: PrincipalDep,
    session: SessionDep,
    note: Annotated[AuditNote, Depends(audited("read a follow-up action"))],
) -> TrackedActionPublic:
    """One follow-up action, with what closed it and the results that did."""
    action = await visible_action(session, viewer, action_id)
    note.nhs_number, note.specialty = action.nhs_number, action.specialty
    return action_public(action, today=practice_today())


@router.post(
    "/follow-up-actions/{action_id}/done",
    response_model=TrackedActionPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def mark_action_done(
    action_id: ActionIdPath,
    practice: PracticeDep,
    session: AuditedSessionDep,
    note: Annotated[AuditNote, Depends(audited("mark a follow-up action done"))],
) -> TrackedActionPublic:
    """Mark one of your practice's actions done; again changes nothing; 409 if newer advice superseded it."""
    action = await visible_action(session, practice, action_id, for_update=True)
    note.nhs_number, note.specialty = action.nhs_number, action.specialty
    await mark_done(session, action=action, by=practice, now=utcnow())
    return action_public(action, today=practice_today())
