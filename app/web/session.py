"""The session: the identity provider's token in an HttpOnly cookie, and who may use pages.

Consultants use the clinic pages; a practice's GPs sign in only to their own practice's pages. A
practice's systems (``gp-system``) call the API and never sign in to pages.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from app.auth.principal import Principal, Role
from app.core.deps import SESSION_COOKIE, PrincipalDep
from app.core.errors import Forbidden
from app.web.csrf import PRESESSION_COOKIE, new_presession_value


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def start_session(request: Request, response: Response, token: str) -> None:
    """Strict same-site and unreadable by script; the token's own expiry ends the session."""
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/", httponly=True, samesite="strict")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def ensure_presession(request: Request, response: Response, value: str) -> None:
    if request.cookies.get(PRESESSION_COOKIE) != value:
        response.set_cookie(
            PRESESSION_COOKIE, value, httponly=True, samesite="strict", secure=_secure(request), path="/"
        )


def presession_value(request: Request) -> str:
    return request.cookies.get(PRESESSION_COOKIE) or new_presession_value()


def require_consultant(principal: Principal) -> Principal:
    if principal.role is not Role.CONSULTANT:
        raise Forbidden("these pages are for hospital consultants; sign in with a consultant's identity")
    return principal


async def page_consultant(principal: PrincipalDep) -> Principal:
    return require_consultant(principal)


ConsultantPageDep = Annotated[Principal, Depends(page_consultant)]

PAGE_ROLES = frozenset({Role.CONSULTANT, Role.GP})


def require_page_user(principal: Principal) -> Principal:
    """A consultant, or a GP of a practice: the people these pages are for."""
    if principal.role not in PAGE_ROLES:
        raise Forbidden("these pages are for hospital consultants and practice GPs; sign in as one")
    return principal


def home_of(principal: Principal) -> str:
    """Where a person lands once signed in: a consultant's clinics, a GP's own practice page."""
    if principal.role is Role.GP:
        return f"/practices/{principal.ods}"
    return "/"


async def page_user(principal: PrincipalDep) -> Principal:
    return require_page_user(principal)


async def page_gp(principal: PrincipalDep) -> Principal:
    if principal.role is not Role.GP:
        raise Forbidden("the practice's pages are for the practice's own GPs")
    return principal


PageUserDep = Annotated[Principal, Depends(page_user)]
GpPageDep = Annotated[Principal, Depends(page_gp)]
