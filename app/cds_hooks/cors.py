"""CORS on the CDS Hooks routes alone, so that a browser-based EHR (the CDS Hooks sandbox) can call them.

CDS Hooks 2.0 ("Cross-Origin Resource Sharing") says services and browser-based clients will need CORS and
leaves its safe use to OWASP's HTML5 Security Cheat Sheet, which this follows: origins are named one by one
(never ``*``, never ``null``), an origin is echoed back only when it is on the list, every answer says
``Vary: Origin``, and credentials are never allowed: the EHR's JWT travels in an ``Authorization`` header its
own script sets, so no cookie of ours is sent cross-site. A preflight is answered here, before the JWT check
(browsers send it without one), and says no more than whether that origin, method and those headers may be
used. Every other route, ``/v1`` included, gets no CORS header at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.cds_hooks.middleware import is_cds_path
from app.core.config import Settings
from app.core.errors import problem_response

ALLOWED_METHODS = frozenset({"GET", "POST", "OPTIONS"})
ALLOWED_HEADERS = frozenset({"authorization", "content-type"})
# Ten minutes: a browser asks again soon after the list changes, and not before every call.
PREFLIGHT_MAX_AGE_SECONDS = 600
# Dev mode's default: a page served from this machine on any port, such as a local copy of the sandbox.
_LOOPBACK_ORIGIN = re.compile(r"^http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?$")


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """The web origins whose pages may call the CDS services."""

    origins: frozenset[str]
    any_loopback_origin: bool = False

    def allows(self, origin: str) -> bool:
        return origin in self.origins or (
            self.any_loopback_origin and _LOOPBACK_ORIGIN.fullmatch(origin) is not None
        )


def cors_policy(settings: Settings) -> CorsPolicy:
    """``VCLINIC_CDS_ALLOWED_ORIGINS`` when set (empty: none); unset, none, or any loopback origin in dev."""
    if settings.cds_allowed_origins is not None:
        return CorsPolicy(frozenset(settings.cds_allowed_origins))
    return CorsPolicy(frozenset(), any_loopback_origin=settings.dev_mode)


def is_preflight(scope: Scope, headers: Headers) -> bool:
    return scope["method"] == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers


def requested_headers(headers: Headers) -> set[str]:
    listed = headers.get("access-control-request-headers", "")
    return {name.strip().lower() for name in listed.split(",") if name.strip()}


class CdsCorsMiddleware:
    def __init__(self, app: ASGIApp, *, policy: CorsPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_cds_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if is_preflight(scope, headers):
            await self._preflight(scope, headers)(scope, receive, send)
            return
        origin = headers.get("origin")
        allowed = origin is not None and self.policy.allows(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers.add_vary_header("Origin")
                if allowed and origin is not None:
                    response_headers["Access-Control-Allow-Origin"] = origin
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, scope: Scope, headers: Headers) -> Response:
        origin = headers["origin"]
        if not (
            self.policy.allows(origin)
            and headers["access-control-request-method"] in ALLOWED_METHODS
            and requested_headers(headers) <= ALLOWED_HEADERS
        ):
            # Nothing but the refusal: not the list of origins, nor which part of the request failed.
            return problem_response(
                403,
                "Cross-origin call refused",
                "cors-refused",
                "this page may not call the CDS services from a browser",
                Request(scope),
                headers={"Vary": "Origin"},
            )
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ", ".join(sorted(ALLOWED_METHODS)),
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
                "Vary": "Origin",
            },
        )
