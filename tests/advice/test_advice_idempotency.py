"""Idempotency keys: a retried write gets its first response; duplicates racing create exactly one request."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.advice.models import AdviceRequest, ConversationMessage
from tests.advice.advice_calls import answered, new_key, post_message, read, respond, submit, submitted
from tests.support.identity import IdentityProvider, bearer

DUPLICATES = 8


async def _count(app: FastAPI, model: type[AdviceRequest] | type[ConversationMessage]) -> int:
    async with app.state.session_factory() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_replay_returns_the_first_response_marked_as_replayed(
    client: httpx.AsyncClient, identity: IdentityProvider, app: FastAPI
) -> None:
    key = new_key()
    first = await submit(client, identity.practice(), key=key)
    again = await submit(client, identity.practice(), key=key)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count(app, AdviceRequest) == 1


async def test_the_same_key_with_a_different_body_is_unprocessable(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    key = new_key()
    await submit(client, identity.practice(), key=key, urgency="routine")
    response = await submit(client, identity.practice(), key=key, urgency="urgent")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]


async def test_the_same_key_on_a_different_route_is_unprocessable(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    key = new_key()
    request_id = await submitted(client, identity.practice(), key=key)
    assert (await post_message(client, identity.practice(), request_id, key=key)).status_code == 422


async def test_keys_belong_to_one_caller(
    client: httpx.AsyncClient, identity: IdentityProvider, app: FastAPI
) -> None:
    key = new_key()
    await submit(client, identity.practice(sub="system-1"), key=key)
    second = await submit(client, identity.practice(sub="system-2"), key=key)
    assert second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert await _count(app, AdviceRequest) == 2


async def test_key_order_and_spacing_of_the_json_body_do_not_make_it_different(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    key = new_key()
    first = await submit(client, identity.practice(), key=key)
    body = b'{ "urgency": "routine", "specialty": "nephrology", "nhs_number": "9434765919",\n "question": '
    body += b'"eGFR has fallen from 52 to 41 in a year. Refer, or manage in primary care?" }'
    headers = {**bearer(identity.practice()), "Idempotency-Key": key, "Content-Type": "application/json"}
    again = await client.post("/v1/advice-requests", content=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


async def test_a_refused_write_keeps_no_key_so_a_corrected_retry_succeeds(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    key = new_key()
    refused = await respond(client, identity.consultant(), request_id, if_match=None, key=key)
    assert refused.status_code == 428
    retried = await respond(client, identity.consultant(), request_id, if_match='"1"', key=key)
    assert retried.status_code == 201


async def test_a_retried_response_is_replayed_rather_than_refused_as_stale(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    key = new_key()
    first = await respond(client, identity.consultant(), request_id, if_match='"1"', key=key)
    retry = await respond(client, identity.consultant(), request_id, if_match='"1"', key=key)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert len((await read(client, identity.consultant(), request_id)).json()["responses"]) == 1


@pytest.mark.parametrize(
    "key", [b"", b"x" * 201, "caf\u00e9".encode()], ids=["empty", "too-long", "not-ascii"]
)
async def test_a_malformed_key_is_a_bad_request(
    client: httpx.AsyncClient, identity: IdentityProvider, key: bytes
) -> None:
    body = {"nhs_number": "9434765919", "specialty": "nephrology", "question": "?", "urgency": "routine"}
    headers = {**bearer(identity.practice()), "Idempotency-Key": key}
    response = await client.post("/v1/advice-requests", json=body, headers=headers)
    assert response.status_code == 400


async def test_concurrent_duplicates_create_exactly_one_request(
    client: httpx.AsyncClient, second_instance: httpx.AsyncClient, identity: IdentityProvider, app: FastAPI
) -> None:
    key = new_key()
    instances = [client, second_instance]
    responses = await asyncio.gather(
        *(submit(instances[n % 2], identity.practice(), key=key) for n in range(DUPLICATES))
    )
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum("idempotent-replayed" in response.headers for response in responses) == DUPLICATES - 1
    assert await _count(app, AdviceRequest) == 1


async def test_concurrent_duplicate_messages_add_exactly_one(
    client: httpx.AsyncClient, second_instance: httpx.AsyncClient, identity: IdentityProvider, app: FastAPI
) -> None:
    request_id = await submitted(client, identity.practice())
    await answered(client, identity.consultant(), request_id, outcome="further-information-required")
    key = new_key()
    instances = [client, second_instance]
    responses = await asyncio.gather(
        *(post_message(instances[n % 2], identity.practice(), request_id, key=key) for n in range(DUPLICATES))
    )
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert await _count(app, ConversationMessage) == 1
