"""Errors on the pages: a person is sent to sign in, or shown a page that says what went wrong.

API routes keep their problem+json answers; only routes tagged as pages are rendered here.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from app.core.errors import ProblemError, Unauthorised
from app.web.return_to import sign_in_path_for
from app.web.session import end_session
from app.web.templating import render
from schemas.upstream import UpstreamError

PAGE_TAG = "pages"

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def is_page(request: Request) -> bool:
    route = request.scope.get("route")
    return isinstance(route, APIRoute) and PAGE_TAG in route.tags


def _page_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Unauthorised):
        response = RedirectResponse(sign_in_path_for(request), status_code=303)
        if request.cookies:
            end_session(response)
        return response
    if isinstance(exc, ProblemError):
        status, title, detail = exc.status, exc.title, exc.detail
    elif isinstance(exc, UpstreamError):
        status, title, detail = 502, "The GP record is unavailable", f"{exc.source}: {exc.detail}"
    else:
        status, title, detail = 422, "The form could not be read", "Check the form and send it again."
    return render(request, "error.html", {"title": title, "detail": detail}, status_code=status)


def _for_pages(api_handler: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if is_page(request):
            return _page_error(request, exc)
        answer = api_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    return handler


def install_page_error_handlers(app: FastAPI) -> None:
    """Wraps the API's handlers, so they must be installed first."""
    for kind in (ProblemError, UpstreamError, RequestValidationError):
        app.add_exception_handler(kind, _for_pages(app.exception_handlers[kind]))
