"""The ``Annotated`` dependency aliases every router uses, in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditLog, AuditNote
from app.auth.keys import KeySet
from app.auth.principal import Principal, Role
from app.auth.tokens import verify_bearer_token
from app.core.config import Settings
from app.core.db import session_scope
from app.core.errors import Forbidden, Unauthorised

SESSION_COOKIE = "vclinic_session"
BREAK_GLASS_HEADER = "X-Break-Glass-Reason"

# The one reading of the Authorization header: the CSRF check waives itself exactly when this finds a token.
BEARER_SCHEME = HTTPBearer(auto_error=False, description="A JWT from the organisation's identity provider")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_audit_log(request: Request) -> AuditLog:
    audit_log: AuditLog = request.app.state.audit_log
    return audit_log


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A unit of work for reads and unaudited writes; commits before the response is sent."""
    async for session in session_scope(request.app.state.session_factory):
        yield session


async def get_audited_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A unit of work whose audit event commits in the same transaction as the write it records."""
    audit_log = get_audit_log(request)
    async with audit_log.unit_of_work() as session:
        yield session
        note: AuditNote | None = getattr(request.state, "audit_note", None)
        principal: Principal | None = getattr(request.state, "principal", None)
        if note is not None and principal is not None and not note.recorded:
            route = request.scope.get("route")
            status = route.status_code if isinstance(route, APIRoute) and route.status_code else 200
            await audit_log.append(
                session,
                principal=principal,
                note=note,
                outcome="success",
                status=status,
                request_id=request.state.request_id,
            )


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)],
) -> Principal:
    """The bearer token's principal; without one, the session cookie's (whose writes pass the CSRF check)."""
    already_verified: Principal | None = getattr(request.state, "principal", None)
    if already_verified is not None:
        return already_verified
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthorised("a bearer token is required")
    keys: KeySet = request.app.state.key_set
    principal = await verify_bearer_token(token, keys, request.app.state.settings)
    request.state.principal = principal
    return principal


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
AuditedSessionDep = Annotated[AsyncSession, Depends(get_audited_session, scope="function")]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    allowed = frozenset(roles)

    async def dependency(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"this needs one of the roles: {', '.join(sorted(allowed))}")
        return principal

    return dependency


def audited(purpose: str) -> Callable[..., Coroutine[Any, Any, AuditNote]]:
    """Marks a route as touching patient data: every call of it leaves an audit event with its outcome."""

    async def dependency(request: Request, principal: PrincipalDep) -> AuditNote:
        route = request.scope.get("route")
        template = route.path if isinstance(route, APIRoute) else request.url.path
        reason = request.headers.get(BREAK_GLASS_HEADER)
        note = AuditNote(
            purpose=purpose,
            action=f"{request.method} {template}",
            nhs_number=request.path_params.get("nhs_number"),
            break_glass_reason=reason.strip()[:500] if reason and reason.strip() else None,
        )
        request.state.audit_note = note
        return note

    return dependency
