"""The follow-up API as a practice and a consultant call it, and advice given with actions to track."""

from __future__ import annotations

from typing import Any

import httpx

from tests.advice.advice_calls import answered, submitted
from tests.advice.practices import MILE_END
from tests.support.identity import IdentityProvider, bearer

REPEAT_UE = {"code": "repeat-ue-2-weeks"}
REPEAT_UE_ACR = {"code": "repeat-ue-acr-3-months"}
STOP_NSAID = {"code": "stop-nsaid"}


async def advised_with(
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    *actions: dict[str, Any],
    ods: str = MILE_END,
    **request: Any,
) -> tuple[str, list[dict[str, Any]]]:
    """A request of the practice answered with these actions: its id and its tracked actions, as asked.

    The practices here may hold records that meet no referral criterion, so the request gives its reason.
    """
    request.setdefault("outside_criteria_reason", "Monitoring plan wanted after a recent change")
    request_id = await submitted(client, identity.practice(ods=ods), **request)
    await answered(client, identity.consultant(), request_id, actions=list(actions))
    tracked = await request_actions(client, identity.practice(ods=ods), request_id)
    return request_id, sorted(tracked, key=lambda item: [a["code"] for a in actions].index(item["code"]))


async def request_actions(client: httpx.AsyncClient, token: str, request_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/advice-requests/{request_id}/follow-up-actions", headers=bearer(token))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def mark_done(client: httpx.AsyncClient, token: str, action_id: str) -> httpx.Response:
    return await client.post(f"/v1/follow-up-actions/{action_id}/done", headers=bearer(token))


async def practice_actions(client: httpx.AsyncClient, token: str, ods: str, **params: Any) -> httpx.Response:
    return await client.get(f"/v1/practices/{ods}/follow-up-actions", params=params, headers=bearer(token))
