"""One error shape for every 4xx: RFC 9457 problem+json, with validation errors listed."""

from __future__ import annotations

import httpx

from tests.support.identity import IdentityProvider, bearer


async def test_an_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == 404


async def test_a_wrong_method_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_invalid_nhs_number_lists_the_validation_error(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.get("/v1/audit?nhs_number=9434765918", headers=bearer(identity.admin()))
    assert response.status_code == 422
    body = response.json()
    assert body["type"].endswith("/validation")
    assert body["errors"][0]["location"] == ["query", "nhs_number"]
    assert "modulus-11" in body["errors"][0]["message"]


async def test_a_missing_parameter_is_a_validation_problem(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.get("/v1/audit", headers=bearer(identity.admin()))
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "missing"
