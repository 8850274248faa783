"""The practice's follow-up actions on its page: what the consultants asked it to do, and marking one done.

The open actions are listed soonest due first, so the overdue lead, and each is marked overdue once its due
day has passed (the practice's day, as the API says). Below them the recently closed, with what closed them.
Marking an action done goes through the API's own service function (``app.follow_up.service.mark_done``),
with the page's CSRF token, audited like ``POST /v1/follow-up-actions/{id}/done``, and answers 303 back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from app.advice.responses import practice_today
from app.advice.service import utcnow
from app.audit.service import AuditNote
from app.auth.principal import Principal
from app.core.deps import AuditedSessionDep, audited
from app.core.params import record_id_path
from app.follow_up.public import action_public
from app.follow_up.service import list_actions, mark_done, recently_closed, visible_action
from app.specialties.registry import SPECIALTIES
from app.web.csrf import CsrfChecked
from app.web.errors import PAGE_TAG
from app.web.practice_access import OdsPath, require_own_practice
from app.web.session import GpPageDep
from app.web.templating import clinical_date, words
from schemas.api.follow_up import FollowUpStatus, TrackedActionPublic

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)

ActionIdPath = Annotated[str, record_id_path("The follow-up action's id")]
# A page, not a register: more open actions than this are the API's to page through.
OPEN_ACTIONS_SHOWN = 50
CLOSED_ACTIONS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class PracticeActions:
    """The practice's open actions (overdue first) and its recently closed ones, as the API shows them."""

    open: list[TrackedActionPublic]
    closed: list[TrackedActionPublic]

    def nhs_numbers(self) -> list[str]:
        return [action.nhs_number for action in [*self.open, *self.closed]]


async def practice_actions(session: AsyncSession, *, viewer: Principal, ods: str) -> PracticeActions:
    """The actions of the page, read through the follow-up services the API uses."""
    today = practice_today()
    still_open, _ = await list_actions(
        session, viewer=viewer, practice_ods=ods, status=FollowUpStatus.OPEN, limit=OPEN_ACTIONS_SHOWN
    )
    closed = await recently_closed(session, viewer=viewer, practice_ods=ods, limit=CLOSED_ACTIONS_SHOWN)
    return PracticeActions(
        open=[action_public(action, today=today) for action in still_open],
        closed=[action_public(action, today=today) for action in closed],
    )


def specialty_title(code: str) -> str:
    specialty = SPECIALTIES.get(code)
    return specialty.title if specialty is not None else code


def closed_by_words(action: TrackedActionPublic) -> str:
    """What closed the action, in the practice's words: who marked it done, or the results that showed it."""
    if action.status is FollowUpStatus.CLOSED_BY_RESULT:
        results = ", ".join(
            f"{words(item.analyte)} of {clinical_date(item.taken_at)}" for item in action.evidence
        )
        return f"Closed by result: {results}" if results else "Closed by result"
    return f"Marked done by {action.closed_by}" if action.closed_by else "Marked done"


@router.post("/practices/{ods}/follow-up-actions/{action_id}/done", status_code=303)
async def mark_done_from_page(
    ods: OdsPath,
    action_id: ActionIdPath,
    _csrf: CsrfChecked,
    note: Annotated[AuditNote, Depends(audited("mark a follow-up action done"))],
    viewer: GpPageDep,
    session: AuditedSessionDep,
) -> Response:
    """Marks one of the practice's actions done as the API does (again: no change), then shows the page."""
    require_own_practice(viewer, ods)
    action = await visible_action(session, viewer, action_id, for_update=True)
    note.nhs_number, note.specialty = action.nhs_number, action.specialty
    await mark_done(session, action=action, by=viewer, now=utcnow())
    return RedirectResponse(f"/practices/{ods}?done={action.id}#follow-up", status_code=303)
