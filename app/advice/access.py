"""Who sees which advice requests, the ETag check on writes, and the relationship a request gives.

Least privilege: a practice sees only its own practice's requests and a consultant only their specialty's.
A request the caller may not see is "not found", exactly like one that does not exist, so request ids are
no oracle for another practice's patients.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, cast, literal_column, null, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.relationships import ASKED_BY_PRACTICE, RelationshipRows, RelationshipSource
from app.advice.models import AdviceRequest
from app.advice.states import RELATIONSHIP_STATUSES
from app.auth.principal import Principal, Role
from app.core.errors import NotFound, PreconditionFailed, PreconditionRequired


def visible_to(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.ADMIN:
        return true()
    if principal.role is Role.CONSULTANT:
        return col(AdviceRequest.specialty) == principal.specialty
    return col(AdviceRequest.practice_ods) == principal.ods


async def _select(
    session: AsyncSession, advice_request_id: str, *where: ColumnElement[bool], for_update: bool
) -> AdviceRequest | None:
    query = select(AdviceRequest).where(col(AdviceRequest.id) == advice_request_id, *where)
    if for_update:
        query = query.with_for_update()
        if session.get_bind().dialect.name == "sqlite":
            # SQLite has no row locks and ignores FOR UPDATE. A no-op UPDATE takes its database write lock
            # first, so a writer in another process waits here and then reads what the first committed,
            # instead of failing the version check later with a 412 its caller never provoked.
            await session.execute(
                update(AdviceRequest)
                .where(col(AdviceRequest.id) == advice_request_id)
                .values(status=col(AdviceRequest.status))
                .execution_options(synchronize_session=False)
            )
    return (await session.execute(query)).scalar_one_or_none()


async def request_for_update(session: AsyncSession, advice_request_id: str) -> AdviceRequest | None:
    """The request, its row held until the caller's transaction ends."""
    return await _select(session, advice_request_id, for_update=True)


async def visible_request(
    session: AsyncSession, principal: Principal, advice_request_id: str, *, for_update: bool = False
) -> AdviceRequest:
    """The request, if the principal may see it; ``for_update`` holds its row until the write commits."""
    found = await _select(session, advice_request_id, visible_to(principal), for_update=for_update)
    if found is None:
        raise NotFound(f"no advice request {advice_request_id}")
    return found


def etag(advice_request: AdviceRequest) -> str:
    """A strong ETag: If-Match compares strongly (RFC 9110, 13.1.1), so a weak tag could never match."""
    return f'"{advice_request.version}"'


def _entity_tags(if_match: str) -> set[str]:
    """The If-Match list, with a bare version number read as that version's ETag.

    RFC 9110 requires the quotes, but the version also appears unquoted in the request's body, and a client
    that copies it from there means exactly that version: refusing it would only teach clients to leave
    If-Match off where it is optional.
    """
    tags = {tag.strip() for tag in if_match.split(",")}
    return {f'"{tag}"' if tag.isascii() and tag.isdigit() else tag for tag in tags}


def check_if_match(advice_request: AdviceRequest, if_match: str | None, *, required: bool) -> None:
    """Refuses a write made against a version of the request other than the current one.

    Where If-Match is required, ``*`` is refused too: it matches any version, so it would let two writers
    who read the same version both win.
    """
    current = etag(advice_request)
    if if_match is None:
        if required:
            raise PreconditionRequired(
                "If-Match is required: send the ETag from GET /v1/advice-requests/{id}",
                headers={"ETag": current},
            )
        return
    tags = _entity_tags(if_match)
    if "*" in tags and required:
        raise PreconditionRequired(
            "If-Match: * matches any version and does not protect this write: send the specific ETag "
            "from GET /v1/advice-requests/{id}",
            headers={"ETag": current},
        )
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed(
        f"the advice request has changed since it was read; its ETag is now {current}",
        headers={"ETag": current},
    )


def _open_requests(specialty: str, nhs_number: str) -> RelationshipRows:
    return select(
        literal_column("0").label("rank"),
        cast(null(), String).label("detail"),
        col(AdviceRequest.created_at).label("since"),
    ).where(
        col(AdviceRequest.specialty) == specialty,
        col(AdviceRequest.nhs_number) == nhs_number,
        col(AdviceRequest.status).in_([status.value for status in RELATIONSHIP_STATUSES]),
    )


# The relationship an open advice request for the patient in the consultant's specialty gives.
OPEN_REQUEST_IN_SPECIALTY = RelationshipSource(_open_requests, lambda rank, detail: ASKED_BY_PRACTICE)
