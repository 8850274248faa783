"""A feed cursor the feed could not have given is a 422 problem on both engines: never a 500, never an
empty page that looks like the end of the feed."""

from __future__ import annotations

import base64

import httpx
import pytest
from fastapi import FastAPI

from tests.outbox.factories import queue
from tests.support.identity import IdentityProvider, bearer

FEED = "/v1/practices/A12345/feed"


@pytest.fixture
def app_database_url(database_url: str) -> str:
    # A position past PostgreSQL's integer column used to fail there as a DataError.
    return database_url


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("feed:1:99999999999999999999"),
        _cursor("feed:1:" + "9" * 5000),
        _cursor("feed:1:2147483648"),
        _cursor("feed:1:-1"),
        _cursor("feed:1:"),
        _cursor("feed:2:1"),
        _cursor("feed:1:1\x00"),
        _cursor("feed:1:" + "9" * 200),
        "A" * 201,
        "%%%",
    ],
    ids=[
        "twenty-digits",
        "thousands-of-digits",
        "past-the-column",
        "negative",
        "no-position",
        "another-version",
        "nul",
        "too-long-inside",
        "too-long",
        "not-base64",
    ],
)
async def test_a_cursor_the_feed_could_not_have_given_is_refused(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, cursor: str
) -> None:
    await queue(app.state.session_factory, 1, channel="feed")

    response = await client.get(FEED, params={"after": cursor}, headers=bearer(identity.practice()))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_position_past_the_last_message_queued_is_refused(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await queue(app.state.session_factory, 2, channel="feed")
    token = bearer(identity.practice())

    last = await client.get(FEED, params={"after": _cursor("feed:1:2")}, headers=token)
    beyond = await client.get(FEED, params={"after": _cursor("feed:1:3")}, headers=token)

    assert last.status_code == 200
    assert last.json() == {"items": [], "next_cursor": _cursor("feed:1:2"), "has_more": False}
    assert beyond.status_code == 422
    assert beyond.json()["detail"] == "`after` is not a cursor this feed gave out"


async def test_a_cursor_of_five_thousand_digits_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.get(FEED, params={"after": "9" * 5000}, headers=bearer(identity.practice()))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
