"""Authenticates every ``/v1`` call that carries a body before that body is read.

FastAPI reads and parses a request's body before it solves the route's dependencies, so a check made only in
``get_principal`` would come after the whole body had been received: anyone could make the service read
megabytes without a credential. Here the credential is verified first and the Principal kept in the
request's state, where ``get_principal`` finds it instead of verifying the token again. Bodiless calls are
left to ``get_principal``, so an unknown path still answers 404 rather than 401.
"""

from __future__ import annotations

from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.keys import KeySet
from app.auth.principal import Principal
from app.auth.tokens import verify_bearer_token
from app.core.deps import SESSION_COOKIE
from app.core.errors import ProblemError, Unauthorised, problem_response

API_PREFIX = "/v1/"


def carries_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip(b"0 ")):
            return True
    return False


def presented_token(connection: Request) -> str | None:
    """A bearer token if the caller sent one, else the pages' session cookie, as ``get_principal`` reads."""
    scheme, credentials = get_authorization_scheme_param(connection.headers.get("authorization"))
    if scheme.lower() == "bearer" and credentials:
        return credentials
    return connection.cookies.get(SESSION_COOKIE) or None


async def authenticate(connection: Request) -> Principal:
    token = presented_token(connection)
    if not token:
        raise Unauthorised("a bearer token is required")
    keys: KeySet = connection.app.state.key_set
    return await verify_bearer_token(token, keys, connection.app.state.settings)


class AuthenticateFirstMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX) or not carries_body(scope):
            await self.app(scope, receive, send)
            return
        connection = Request(scope)
        try:
            principal = await authenticate(connection)
        except ProblemError as exc:
            refusal = problem_response(
                exc.status, exc.title, exc.kind, exc.detail, connection, headers=exc.headers, **exc.extra
            )
            await refusal(scope, receive, send)
            return
        connection.state.principal = principal
        await self.app(scope, receive, send)
