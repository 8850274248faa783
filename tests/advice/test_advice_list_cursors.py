"""A list cursor the list could not have given is a 422 problem on both engines, never a 500."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.advice.advice_calls import submitted
from tests.support.identity import IdentityProvider, bearer


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor('["2026-11-22T09:30:00+00:00", "abc\\u0000"]'),
        _cursor('["2026-11-22T09:30:00+00:00", ["a"]]'),
        _cursor('["not a time", "abc"]'),
        _cursor('[99999999999999999999, "abc"]'),
        _cursor('{"created_at": "2026-11-22T09:30:00+00:00"}'),
        _cursor("\x00"),
        _cursor("[" * 100),
        "9" * 5000,
    ],
    ids=["nul-id", "list-id", "bad-time", "number-time", "object", "nul", "unclosed", "five-thousand-digits"],
)
async def test_a_cursor_the_list_could_not_have_given_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider, cursor: str
) -> None:
    await submitted(client, identity.practice())

    response = await client.get(
        "/v1/advice-requests", params={"after": cursor}, headers=bearer(identity.admin())
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
