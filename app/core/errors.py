"""One error shape for every 4xx and 5xx: RFC 9457 ``application/problem+json``.

    ProblemError                 base: a status, a title and a detail safe to show a caller
    ├── NotFound                 404
    ├── Forbidden                403
    ├── Unauthorised             401
    ├── Conflict                 409
    ├── PreconditionFailed       412
    ├── Unprocessable            422
    └── ServiceUnavailable       503

Upstream failures (``adapters.errors``) map to 502/503/504 here, and an API body that is not JSON to 415.
Nothing else ever shows a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.api.problem import PROBLEM_MEDIA_TYPE, Problem, ValidationIssue
from schemas.upstream import (
    PatientNotFound,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)

log = logging.getLogger("vclinic.errors")

PROBLEM_BASE = "https://vclinic.nhs.example/problems/"


class ProblemError(Exception):
    status: int = 400
    title: str = "Bad request"
    kind: str = "bad-request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class Unauthorised(ProblemError):
    status, title, kind = 401, "Not authenticated", "unauthorised"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Forbidden(ProblemError):
    status, title, kind = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, kind = 404, "Not found", "not-found"


class Conflict(ProblemError):
    status, title, kind = 409, "Conflict", "conflict"


class PreconditionFailed(ProblemError):
    status, title, kind = 412, "Precondition failed", "precondition-failed"


class PreconditionRequired(ProblemError):
    status, title, kind = 428, "Precondition required", "precondition-required"


class Unprocessable(ProblemError):
    status, title, kind = 422, "Unprocessable request", "unprocessable"


class ServiceUnavailable(ProblemError):
    status, title, kind = 503, "Service unavailable", "unavailable"


_UPSTREAM_STATUS: list[tuple[type[UpstreamError], int, str, str]] = [
    (PatientNotFound, 404, "Patient not found", "patient-not-found"),
    (UpstreamNotFound, 404, "Not found upstream", "upstream-not-found"),
    (UpstreamTimeout, 504, "Upstream timed out", "upstream-timeout"),
    (UpstreamUnavailable, 503, "Upstream unavailable", "upstream-unavailable"),
    (UpstreamRefused, 502, "Upstream refused the request", "upstream-refused"),
    (UpstreamBadResponse, 502, "Bad response from upstream", "upstream-bad-response"),
    (UpstreamError, 502, "Upstream failure", "upstream-failure"),
]


def problem_response(
    status: int,
    title: str,
    kind: str,
    detail: str | None,
    request: Request | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    problem = Problem(
        type=PROBLEM_BASE + kind,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path if request is not None else None,
        **extra,
    )
    return Response(
        orjson.dumps(problem.model_dump(mode="json", exclude_none=True)),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        # An error names the path it refused, and paths carry NHS numbers: no cache may keep one.
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


async def _problem_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status, exc.title, exc.kind, exc.detail, request, headers=exc.headers, **exc.extra
    )


def upstream_status(exc: UpstreamError) -> int:
    """The status a route answers for the upstream failure, for callers that record rather than raise it."""
    return next(status for kind, status, _, _ in _UPSTREAM_STATUS if isinstance(exc, kind))


async def _upstream_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UpstreamError)
    for kind, status, title, slug in _UPSTREAM_STATUS:
        if isinstance(exc, kind):
            log.warning("upstream failure", extra={"upstream": exc.source, "problem": slug})
            return problem_response(status, title, slug, f"{exc.source}: {exc.detail}", request)
    raise AssertionError("unreachable: UpstreamError is the last entry")


def _sent_other_than_json(request: Request, exc: RequestValidationError) -> bool:
    """True when an API body failed because it was not JSON at all; pages post forms and are left alone."""
    content_type = request.headers.get("content-type")
    if content_type is None or not request.url.path.startswith("/v1/"):
        return False  # with no Content-Type, FastAPI reads the body as JSON
    media_type = content_type.partition(";")[0].strip().lower()
    is_json = media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
    return not is_json and any(error.get("loc", ())[:1] == ("body",) for error in exc.errors())


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _sent_other_than_json(request, exc):
        return problem_response(
            415,
            "Unsupported media type",
            "unsupported-media-type",
            "Send the body as application/json.",
            request,
            headers={"Accept": "application/json"},
        )
    issues = [
        ValidationIssue(
            location=[str(part) for part in error.get("loc", ())],
            message=str(error.get("msg", "invalid")),
            type=str(error.get("type", "value_error")),
        )
        for error in exc.errors()
    ]
    return problem_response(
        422,
        "Validation failed",
        "validation",
        f"{len(issues)} problem(s) with the request",
        request,
        errors=[issue.model_dump() for issue in issues],
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    title = _HTTP_TITLES.get(exc.status_code, "Error")
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(
        exc.status_code, title, title.lower().replace(" ", "-"), str(exc.detail), request, headers=headers
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"error_type": type(exc).__name__})
    return problem_response(
        500, "Internal server error", "internal", "An unexpected error occurred.", request
    )


_HTTP_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(UpstreamError, _upstream_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
