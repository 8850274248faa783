"""The advice API as a practice system and a consultant call it: one function per route, fresh keys each."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.advice.practices import MILE_END_PATIENT
from tests.support.identity import bearer

ADVICE = "Start an SGLT2 inhibitor; repeat U&E and ACR in 3 months."


def new_key() -> str:
    return uuid.uuid4().hex


async def submit(
    client: httpx.AsyncClient,
    token: str,
    *,
    nhs_number: str = MILE_END_PATIENT,
    specialty: str = "nephrology",
    question: str = "eGFR has fallen from 52 to 41 in a year. Refer, or manage in primary care?",
    urgency: str = "routine",
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {"nhs_number": nhs_number, "specialty": specialty, "question": question, "urgency": urgency}
    return await client.post(
        "/v1/advice-requests",
        json={**body, **extra},
        headers={**bearer(token), "Idempotency-Key": key or new_key()},
    )


async def submitted(client: httpx.AsyncClient, token: str, **fields: Any) -> str:
    """The id of a newly submitted request."""
    response = await submit(client, token, **fields)
    assert response.status_code == 201, response.text
    request_id: str = response.json()["id"]
    return request_id


async def read(client: httpx.AsyncClient, token: str, request_id: str) -> httpx.Response:
    return await client.get(f"/v1/advice-requests/{request_id}", headers=bearer(token))


async def current_etag(client: httpx.AsyncClient, token: str, request_id: str) -> str:
    response = await read(client, token, request_id)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


async def respond(
    client: httpx.AsyncClient,
    token: str,
    request_id: str,
    *,
    if_match: str | None,
    outcome: str = "return-with-advice",
    recommendation: str = "advice-only",
    advice: str = ADVICE,
    actions: list[dict[str, Any]] | None = None,
    key: str | None = None,
) -> httpx.Response:
    headers = {**bearer(token), "Idempotency-Key": key or new_key()}
    if if_match is not None:
        headers["If-Match"] = if_match
    body = {"outcome": outcome, "recommendation": recommendation, "advice": advice, "actions": actions or []}
    return await client.post(f"/v1/advice-requests/{request_id}/response", json=body, headers=headers)


async def answered(
    client: httpx.AsyncClient, consultant: str, request_id: str, **fields: Any
) -> httpx.Response:
    """The consultant's response made against the current ETag, which must succeed."""
    etag = await current_etag(client, consultant, request_id)
    response = await respond(client, consultant, request_id, if_match=etag, **fields)
    assert response.status_code == 201, response.text
    return response


async def post_message(
    client: httpx.AsyncClient,
    token: str,
    request_id: str,
    body: str = "Latest ACR 45 mg/mmol, BP 150/92 on ramipril 10 mg.",
    *,
    key: str | None = None,
    if_match: str | None = None,
) -> httpx.Response:
    headers = {**bearer(token), "Idempotency-Key": key or new_key()}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.post(
        f"/v1/advice-requests/{request_id}/messages", json={"body": body}, headers=headers
    )


async def acknowledge(
    client: httpx.AsyncClient,
    token: str,
    request_id: str,
    *,
    referral_avoided: bool | None = None,
    key: str | None = None,
) -> httpx.Response:
    body = None if referral_avoided is None else {"referral_avoided": referral_avoided}
    return await client.post(
        f"/v1/advice-requests/{request_id}/acknowledgement",
        json=body,
        headers={**bearer(token), "Idempotency-Key": key or new_key()},
    )


async def cancel(client: httpx.AsyncClient, token: str, request_id: str) -> httpx.Response:
    return await client.post(
        f"/v1/advice-requests/{request_id}/cancel", headers={**bearer(token), "Idempotency-Key": new_key()}
    )
