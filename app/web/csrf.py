"""CSRF tokens for the pages and for cookie-authenticated calls to the API.

A browser sends the session cookie with every request to this origin, so a cookie alone never proves the
consultant meant a write. Every unsafe request that authenticates by cookie must also carry a token the
service signed with ``settings.secret_key`` for that very session: a form field from the pages, or the
``X-CSRF-Token`` header for the API. Before sign-in the token is bound to a random pre-session cookie, so the
sign-in form is protected too. Bearer-token API calls carry no ambient credential and are not checked: the
check reads the Authorization header exactly as :func:`app.core.deps.get_principal` does, so it is waived only
when the bearer token, and never the cookie, is what authenticates the call. Any other header (``Basic``, an
empty one) waives nothing, since the cookie is still what signs such a call in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.deps import BEARER_SCHEME, SESSION_COOKIE
from app.core.errors import Forbidden, problem_response

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
PRESESSION_COOKIE = "vclinic_presession"
# A page left open over a working day still submits; a token found in a log a day later does not.
TOKEN_LIFETIME_SECONDS = 12 * 3600
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def session_binding(cookies: dict[str, str]) -> str | None:
    """What a token is bound to: the session cookie once signed in, the pre-session cookie before."""
    return cookies.get(SESSION_COOKIE) or cookies.get(PRESESSION_COOKIE)


def new_presession_value() -> str:
    return secrets.token_urlsafe(32)


def _mac(secret: str, issued: int, binding: str) -> str:
    bound = hashlib.sha256(binding.encode()).hexdigest()
    return hmac.new(secret.encode(), f"csrf|{issued}|{bound}".encode(), hashlib.sha256).hexdigest()


def issue_token(secret: str, binding: str, *, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    return f"{issued}.{_mac(secret, issued, binding)}"


def token_is_valid(secret: str, binding: str | None, token: str | None, *, now: float | None = None) -> bool:
    if not binding or not token:
        return False
    issued_text, _, mac = token.partition(".")
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    moment = now if now is not None else time.time()
    if not 0 <= moment - issued <= TOKEN_LIFETIME_SECONDS:
        return False
    return hmac.compare_digest(mac, _mac(secret, issued, binding))


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.secret_key.get_secret_value()
    return secret


def csrf_token_for(request: Request, binding: str) -> str:
    return issue_token(_secret(request), binding)


async def require_csrf(request: Request) -> None:
    """Refuses a page's form post whose token is missing, forged, stale, or for another session."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not token_is_valid(
        _secret(request), session_binding(request.cookies), token if isinstance(token, str) else None
    ):
        raise Forbidden("the form's security token is missing or out of date; reload the page and try again")


CsrfChecked = Annotated[None, Depends(require_csrf)]


class ApiCsrfMiddleware:
    """Refuses unsafe calls to ``/v1`` that authenticate by the session cookie without a valid header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and await self._refused(scope):
            detail = f"a cookie-authenticated write needs a valid {CSRF_HEADER} header"
            await problem_response(403, "Forbidden", "csrf", detail)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _refused(self, scope: Scope) -> bool:
        if scope["method"] not in UNSAFE_METHODS or not scope["path"].startswith("/v1/"):
            return False
        request = Request(scope)
        if SESSION_COOKIE not in request.cookies or await BEARER_SCHEME(request) is not None:
            return False
        secret = request.app.state.settings.secret_key.get_secret_value()
        token = request.headers.get(CSRF_HEADER)
        return not token_is_valid(secret, request.cookies[SESSION_COOKIE], token)
