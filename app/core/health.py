"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from app.core.db import database_is_reachable
from app.core.errors import ServiceUnavailable
from app.core.metrics import render_metrics
from app.core.openapi import problem_responses

router = APIRouter(tags=["operations"])


class HealthPublic(BaseModel):
    status: str


@router.get("/healthz", response_model=HealthPublic)
async def healthz() -> HealthPublic:
    """The process is up."""
    return HealthPublic(status="ok")


@router.get("/readyz", response_model=HealthPublic, responses=problem_responses(503))
async def readyz(request: Request) -> HealthPublic:
    """The service can serve: its database answers."""
    if not await database_is_reachable(request.app.state.engine):
        raise ServiceUnavailable("the database is not reachable")
    return HealthPublic(status="ready")


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics() -> Response:
    """Prometheus metrics: request counts and latency by route and status."""
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
