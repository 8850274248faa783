"""Authenticates every CDS Hooks call by the EHR's JWT before anything else, its body included.

CDS Hooks calls sit outside ``/v1`` and carry the EHR's own JWT, not a user token: this verifies it
(``ehr_jwt``), spends its ``jti`` (``replay``), and leaves the calling client and a principal for the audit
log in the request's state. A refusal is a 401 problem+json and the body is never read.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.principal import Principal, Role
from app.cds_hooks.ehr_jwt import VerifiedEhrCall, claimed_issuer, verify_ehr_token
from app.cds_hooks.replay import first_use
from app.core.config import Settings
from app.core.errors import ProblemError, ServiceUnavailable, Unauthorised, problem_response

log = logging.getLogger("vclinic.cds_hooks")

CDS_SERVICES_PATH = "/cds-services"


def endpoint_url(settings: Settings, path: str) -> str:
    """The exact URL the EHR called, as its JWT's ``aud`` must name it: the public base URL and the path."""
    return settings.public_base_url.rstrip("/") + path


def client_principal(call: VerifiedEhrCall) -> Principal:
    """The EHR as the audit log records it: its practice's clinical system, named by its client name."""
    return Principal(sub=call.client.name, role=Role.GP_SYSTEM, ods=call.client.ods)


async def authenticate_ehr(connection: Request) -> VerifiedEhrCall:
    token = presented_ehr_token(connection)
    if token is None:
        raise Unauthorised("a CDS Hooks call needs the EHR's JWT as a bearer token")
    state = connection.app.state
    settings: Settings = state.settings
    now = datetime.now(UTC)
    call = await verify_ehr_token(
        token,
        trust=state.cds_hooks.trust,
        audience=endpoint_url(settings, connection.url.path),
        now=now,
        leeway_seconds=settings.jwt_leeway_seconds,
        max_bytes=settings.max_token_bytes,
    )
    try:
        first = await first_use(
            state.audit_log,
            issuer=call.client.config.issuer,
            jti=call.jti,
            usable_until=call.usable_until,
            now=now,
        )
    except SQLAlchemyError:
        raise ServiceUnavailable("the token's jti could not be checked against those used") from None
    if not first:
        raise Unauthorised("the token's jti has been used already")
    return call


def presented_ehr_token(connection: Request) -> str | None:
    scheme, token = get_authorization_scheme_param(connection.headers.get("authorization"))
    return token if scheme.lower() == "bearer" and token else None


def log_refusal(connection: Request, refusal: ProblemError) -> None:
    """A warning for each refused call: the issuer claimed and the reason, never the token itself."""
    token = presented_ehr_token(connection)
    settings: Settings = connection.app.state.settings
    issuer = claimed_issuer(token, max_bytes=settings.max_token_bytes) if token is not None else None
    log.warning(
        "CDS Hooks call refused",
        extra={
            "event": "cds-hooks-refused",
            "status": refusal.status,
            "claimed_issuer": issuer,
            "reason": refusal.detail,
            "method": connection.method,
            "route": connection.url.path,
        },
    )


def is_cds_path(path: str) -> bool:
    return path == CDS_SERVICES_PATH or path.startswith(CDS_SERVICES_PATH + "/")


class CdsHooksAuthenticationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_cds_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        connection = Request(scope)
        try:
            call = await authenticate_ehr(connection)
        except ProblemError as exc:
            if exc.status == 401:
                log_refusal(connection, exc)
            refusal = problem_response(
                exc.status, exc.title, exc.kind, exc.detail, connection, headers=exc.headers, **exc.extra
            )
            await refusal(scope, receive, send)
            return
        connection.state.cds_call = call
        connection.state.principal = client_principal(call)
        await self.app(scope, receive, send)
