"""``GET /v1/practices/{ods}/feed``: the practice pulls its advice, in order, a page at a time; and
``GET /v1/outbox/attention``: the deliveries an operator must act on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from app.audit.service import AuditNote
from app.auth.principal import Principal, Role
from app.core.cursors import CURSOR_MAX_LENGTH
from app.core.deps import PrincipalDep, SessionDep, audited, require_roles
from app.core.errors import Forbidden
from app.core.openapi import problem_responses
from app.outbox.feed import feed_page
from app.outbox.service import messages_needing_attention
from schemas.api.outbox import DeliveryChannel, FeedPagePublic, OutboxAttentionPublic

router = APIRouter(prefix="/v1/practices", tags=["advice delivery"])


@router.get("/{ods}/feed", response_model=FeedPagePublic, responses=problem_responses(401, 403, 422, 503))
async def read_practice_feed(
    ods: Annotated[str, Path(pattern=r"^[A-Z0-9]{3,10}$", description="The practice's ODS code")],
    principal: PrincipalDep,
    session: SessionDep,
    _note: Annotated[AuditNote, Depends(audited("read the practice's advice feed"))],
    after: Annotated[
        str | None, Query(max_length=CURSOR_MAX_LENGTH, description="The `next_cursor` of the page before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FeedPagePublic:
    """The practice's advice messages in the order they were given, after the cursor."""
    if principal.role is not Role.ADMIN and not (principal.is_practice and principal.ods == ods):
        raise Forbidden("only the practice itself and admins may read a practice's feed")
    return await feed_page(session, ods, after=after, limit=limit)


admin_router = APIRouter(prefix="/v1/outbox", tags=["advice delivery"])
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@admin_router.get(
    "/attention", response_model=OutboxAttentionPublic, responses=problem_responses(401, 403, 422, 503)
)
async def read_deliveries_needing_attention(
    _admin: AdminDep,
    session: SessionDep,
    _note: Annotated[AuditNote, Depends(audited("review deliveries needing attention"))],
    channel: Annotated[DeliveryChannel | None, Query(description="Only this channel: bars-referral…")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OutboxAttentionPublic:
    """Failed, dead and held deliveries, oldest first (admins): put them back with `vclinic outbox retry`."""
    items, has_more = await messages_needing_attention(session, channel=channel, limit=limit)
    return OutboxAttentionPublic(items=items, has_more=has_more)
