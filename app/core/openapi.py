"""OpenAPI helpers: every route declares its problem+json error responses."""

from __future__ import annotations

from typing import Any

from schemas.api.problem import PROBLEM_MEDIA_TYPE, Problem

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated: no token, or a token that failed verification",
    403: "Authenticated but not allowed",
    404: "Not found",
    409: "Conflict with the resource's current state",
    412: "The resource changed since it was read (If-Match)",
    415: "The body is not application/json",
    422: "The request is not valid",
    428: "If-Match is required",
    502: "An upstream system answered badly",
    503: "An upstream system, or the database, is unavailable",
    504: "An upstream system did not answer in time",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Error"),
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
