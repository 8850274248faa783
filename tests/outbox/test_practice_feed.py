"""``GET /v1/practices/{ods}/feed``: a practice pulls its own advice in order, a cursor at a time; nobody else
may, and every read is audited."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.audit.models import AuditEvent
from tests.outbox.factories import queue
from tests.support.identity import IdentityProvider, bearer

FEED = "/v1/practices/A12345/feed"


async def test_the_practice_reads_its_advice_in_order_a_page_at_a_time(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    ours = await queue(app.state.session_factory, 3, channel="feed")
    await queue(app.state.session_factory, 1, channel="feed", practice_ods="B67890")
    token = bearer(identity.practice(ods="A12345"))

    first = (await client.get(FEED, params={"limit": 2}, headers=token)).json()
    second = (await client.get(FEED, params={"after": first["next_cursor"]}, headers=token)).json()
    idle = (await client.get(FEED, params={"after": second["next_cursor"]}, headers=token)).json()

    assert [item["message_id"] for item in first["items"] + second["items"]] == ours
    assert (first["has_more"], second["has_more"]) == (True, False)
    assert idle == {"items": [], "next_cursor": second["next_cursor"], "has_more": False}


async def test_each_item_carries_the_advice_message_and_its_identity(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    [message_id] = await queue(app.state.session_factory, channel="mesh")
    page = (await client.get(FEED, headers=bearer(identity.practice(role="gp", sub="dr-patel")))).json()
    [item] = page["items"]
    assert item["message_id"] == message_id
    assert item["version"] == 1
    assert item["event_time"] == "2026-11-22T09:30:00Z"
    assert item["advice"]["message_id"] == message_id
    assert item["advice"]["advice_request_id"] == item["advice_request_id"]
    assert item["advice"]["patient"]["nhs_number"] == "9434765919"


async def test_only_the_practice_itself_and_admins_may_read_its_feed(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    assert (await client.get(FEED, headers=bearer(identity.admin()))).status_code == 200
    other = await client.get(FEED, headers=bearer(identity.practice(ods="B67890")))
    assert other.status_code == 403
    assert other.headers["content-type"] == "application/problem+json"
    assert (await client.get(FEED, headers=bearer(identity.consultant()))).status_code == 403
    assert (await client.get(FEED)).status_code == 401


async def test_a_cursor_the_feed_never_gave_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    # Garbage, a well-formed cursor with a non-number, non-ASCII text, and a non-ASCII digit.
    for cursor in ("not-a-cursor", "ZmVlZDoxOmFiYw", "é-cursor", "ZmVlZDoxOsKy"):
        response = await client.get(FEED, params={"after": cursor}, headers=bearer(identity.practice()))
        assert response.status_code == 422
        assert response.json()["detail"] == "`after` is not a cursor this feed gave out"


async def test_reading_the_feed_is_audited(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await client.get(FEED, headers=bearer(identity.practice(sub="gp-system-7")))
    await client.get(FEED, headers=bearer(identity.practice(ods="B67890", sub="intruder")))
    async with app.state.session_factory() as session:
        events = (
            (
                await session.execute(
                    select(AuditEvent).where(col(AuditEvent.purpose) == "read the practice's advice feed")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.actor, e.organisation, e.outcome, e.action) for e in events] == [
        ("gp-system-7", "A12345", "success", "GET /v1/practices/{ods}/feed"),
        ("intruder", "B67890", "denied", "GET /v1/practices/{ods}/feed"),
    ]
