"""Security headers on every response, and a strict Content-Security-Policy on the pages.

The pages, the interactive API docs among them, load only the app's own scripts and styles, so the policy
allows nothing else: no inline script, no inline style, no framing.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_ALWAYS_RAW = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in ALWAYS.items()]
_CSP_RAW = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("latin-1"))


def _with_security_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The response's headers with each of ``ALWAYS`` it lacks, and the policy on a page: one pass over them
    (``MutableHeaders`` walked them once per header set)."""
    present = {name.lower() for name, _ in raw}
    headers = [*raw, *(header for header in _ALWAYS_RAW if header[0] not in present)]
    content_type = next((value for name, value in raw if name.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html"):
        headers = [header for header in headers if header[0].lower() != _CSP_RAW[0]]
        headers.append(_CSP_RAW)
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_security_headers(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)
