"""Bounds on what a caller may send: the headers all together, and the body.

Both are refused before the body is read, so an oversized request costs the service neither the time to
parse it nor the memory to hold it. A declared ``Content-Length`` over the bound is refused at once; a
chunked body, or one whose length was not declared, is counted as it streams and refused at the first
chunk past the bound. Pure ASGI rather than ``BaseHTTPMiddleware``, which would buffer the body first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response


class ContentTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes its bound.

    An ``HTTPException`` because FastAPI passes those through its body reading untouched (anything else
    becomes a 400 "error parsing the body"), so the error handlers answer it as a 413 problem.
    """

    def __init__(self, max_body_bytes: int) -> None:
        super().__init__(413, _too_large_detail(max_body_bytes))


def _too_large_detail(max_body_bytes: int) -> str:
    return f"the request body is larger than the {max_body_bytes} bytes accepted"


def header_bytes(scope: Scope) -> int:
    return sum(len(name) + len(value) for name, value in scope["headers"])


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


class RequestLimitsMiddleware:
    """``larger_bodies`` raises the body bound for the POSTs to paths that match, such as file uploads."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_header_bytes: int,
        larger_bodies: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.larger_bodies = tuple(larger_bodies)

    def body_bound(self, scope: Scope) -> int:
        if scope.get("method") == "POST":
            for pattern, bound in self.larger_bodies:
                if pattern.fullmatch(scope["path"]):
                    return max(bound, self.max_body_bytes)
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if header_bytes(scope) > self.max_header_bytes:
            detail = f"the request's headers are larger than the {self.max_header_bytes} bytes accepted"
            await problem_response(
                431, "Request header fields too large", "headers-too-large", detail, Request(scope)
            )(scope, receive, send)
            return
        bound = self.body_bound(scope)
        length = declared_length(scope)
        if length is not None and length > bound:
            await self._refuse_body(scope, receive, send, bound)
            return
        await self._call_counting_body(scope, receive, send, bound)

    async def _call_counting_body(self, scope: Scope, receive: Receive, send: Send, bound: int) -> None:
        received = 0
        response_started = False

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > bound:
                    raise ContentTooLarge(bound)
            return message

        async def send_noting_start(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_within_limit, send_noting_start)
        except ContentTooLarge:
            # Reached only when the body was read outside the error handlers; once a response has
            # started there is nothing more to say, and the connection is closed by the server.
            if response_started:
                raise
            await self._refuse_body(scope, receive, send, bound)

    async def _refuse_body(self, scope: Scope, receive: Receive, send: Send, bound: int) -> None:
        await problem_response(
            413,
            "Content too large",
            "content-too-large",
            _too_large_detail(bound),
            Request(scope),
        )(scope, receive, send)


def server_header_cap(max_header_bytes: int) -> int:
    """What the HTTP server buffers of a request line and headers before it answers a bare 400 itself.

    A few times the service's own bound: headers somewhat over it reach the middleware and get the clear 431
    problem, while megabytes of headers are cut off before the server holds them in memory.
    """
    return 4 * max_header_bytes
