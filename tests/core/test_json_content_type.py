"""An API write whose body is not JSON is a 415 naming application/json; JSON in any spelling is read."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.support.identity import IdentityProvider, bearer

CLINIC = {"specialty": "nephrology", "date": "2026-11-24", "consultant": {"sub": "dr-lee", "name": "Dr Lee"}}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
async def test_a_body_that_is_not_json_is_an_unsupported_media_type(
    client: httpx.AsyncClient, identity: IdentityProvider, content_type: str
) -> None:
    response = await client.post(
        "/v1/clinics",
        content=orjson.dumps(CLINIC),
        headers={**bearer(identity.consultant()), "Content-Type": content_type},
    )

    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["accept"] == "application/json"
    assert "application/json" in response.json()["detail"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.clinic+json",
    ],
)
async def test_json_in_any_spelling_is_read(
    client: httpx.AsyncClient, identity: IdentityProvider, content_type: str
) -> None:
    response = await client.post(
        "/v1/clinics",
        content=orjson.dumps(CLINIC),
        headers={**bearer(identity.consultant()), "Content-Type": content_type},
    )

    assert response.status_code == 201, response.text


async def test_json_that_is_not_valid_stays_a_validation_problem(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.post(
        "/v1/clinics",
        content=b"[1, 2]",
        headers={**bearer(identity.consultant()), "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_put_of_a_form_is_an_unsupported_media_type(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.put(
        "/v1/registrations/9434765919", data={"practice_ods": "A12345"}, headers=bearer(identity.admin())
    )

    assert response.status_code == 415
