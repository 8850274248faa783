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


def _unwritable_in_query(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    values = (part for pair in parse_qsl(query, keep_blank_values=True) for part in pair)
    return next((found for value in values if (found := unwritable_character(value)) is not None), None)


class AddressTextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # No resource's address holds one, so a path with one names nothing: 404, as any unknown id is.
        if (found := unwritable_character(scope["path"])) is not None:
            detail = f"No resource has an address holding a character that is not text ({found})."
            response = problem_response(404, "Not found", "not-found", detail, Request(scope))
        elif (found := _unwritable_in_query(scope)) is not None:
            detail = f"A query parameter holds a character that is not text ({found})."
            response = problem_response(422, "Unprocessable request", "unprocessable", detail, Request(scope))
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
