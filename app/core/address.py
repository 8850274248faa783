"""Refuses a request whose query holds characters that are not text, before any route reads it.

Query values reach database queries as filters; PostgreSQL cannot take a NUL in text, and no filter of this
service holds a control character. One check here covers every route's query, the pages included. Path
values are typed on their routes instead (``app.core.params``), so a refused one is still audited as the
route's own 422.
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
        if (found := _unwritable_in_query(scope)) is not None:
            detail = f"A query parameter holds a character that is not text ({found})."
            response = problem_response(422, "Unprocessable request", "unprocessable", detail, Request(scope))
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
