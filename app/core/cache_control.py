"""``Cache-Control: no-store`` on every ``/v1`` response, errors included.

Nearly every answer of the API names a patient or a clinician, so no browser, proxy or shared cache may keep
a copy; the pages already send the same. Problem responses carry it themselves (see ``problem_response``),
because the 500 answer is made outside every middleware.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = "no-store"


class NoStoreMiddleware:
    def __init__(self, app: ASGIApp, *, path_prefix: str = "/v1/") -> None:
        self.app = app
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path_prefix):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_no_store)
