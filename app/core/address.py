"""Refuses a request whose address holds characters that are not text, before any route reads it.

Path and query values reach database queries as ids and filters; PostgreSQL cannot take a NUL in text, and
no id, code or filter of this service holds a control character. One check here covers every route, the
pages included, where a parameter type on each route would be one more thing to forget.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import problem_response
from schemas.text import unwritable_character


def _unwritable_in_address(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    texts = [scope["path"], *(part for pair in parse_qsl(query, keep_blank_values=True) for part in pair)]
    return next((found for text in texts if (found := unwritable_character(text)) is not None), None)


class AddressTextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = _unwritable_in_address(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        detail = f"The address holds a character that is not text ({found})."
        response = problem_response(400, "Bad request", "bad-request", detail, Request(scope))
        await response(scope, receive, send)
