"""Health, readiness, metrics, and logs that carry a request id but never a patient identifier."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.logging import JsonFormatter
from app.main import create_app
from tests.support.identity import IdentityProvider, bearer


async def test_healthz_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_when_the_database_does(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_readyz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"
    app = create_app(settings.model_copy(update={"database_url": unreachable}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


async def test_metrics_count_requests_by_route_template_not_path(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await client.get("/v1/audit?nhs_number=9434765919", headers=bearer(identity.admin()))
    body = (await client.get("/metrics")).text
    assert 'vclinic_http_requests_total{method="GET",route="/v1/audit",status="200"}' in body
    assert "vclinic_http_request_duration_seconds_bucket" in body
    assert "9434765919" not in body


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert len(response.headers["x-request-id"]) >= 8
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-12345"})
    assert echoed.headers["x-request-id"] == "abc-12345"


async def test_an_unsafe_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "9434765919\nforged"})
    assert response.headers["x-request-id"] != "9434765919\nforged"


async def test_logs_never_carry_the_nhs_number(
    app: FastAPI,
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        await client.get("/v1/audit?nhs_number=9434765919", headers=bearer(identity.admin()))
        await client.get("/v1/audit?nhs_number=9434765918", headers=bearer(identity.admin()))
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any('"route":"/v1/audit"' in line for line in lines)
    assert not any("943476591" in line for line in lines)


def test_the_formatter_masks_identifiers_a_message_carries() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, "", 0, "looked up 943 476 5919 for %s", ("9434765919",), None
    )
    line = JsonFormatter().format(record)
    assert "9434765919" not in line
    assert "943 476 5919" not in line
    assert "[nhs-number]" in line
