"""Closing the loop: the practice's acknowledgement, the MESH acknowledgement, and cancellation."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.advice.service import record_acknowledgement
from tests.advice.advice_calls import acknowledge, answered, cancel, read, submitted
from tests.advice.practices import BOW
from tests.support.identity import IdentityProvider


async def _advised(client: httpx.AsyncClient, identity: IdentityProvider) -> str:
    request_id = await submitted(client, identity.practice())
    await answered(client, identity.consultant(), request_id)
    return request_id


async def _mesh_acknowledgement(
    app: FastAPI, request_id: str, *, referral_avoided: bool | None = None
) -> None:
    async with app.state.session_factory() as session, session.begin():
        await record_acknowledgement(
            session,
            advice_request_id=request_id,
            source="mesh",
            referral_avoided=referral_avoided,
            acknowledged_by="A12345OT001",
        )


async def test_the_practices_acknowledgement_closes_the_request(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    response = await acknowledge(client, identity.practice(), request_id, referral_avoided=True)
    assert response.status_code == 200
    state = response.json()
    assert state["status"] == "closed"
    assert state["referral_avoided"] is True
    assert state["acknowledged_at"] == state["closed_at"]


async def test_acknowledging_again_with_the_same_answer_is_answered_with_the_request_unchanged(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    first = await acknowledge(client, identity.practice(), request_id, referral_avoided=True)
    for repeat in (True, None):
        again = await acknowledge(client, identity.practice(), request_id, referral_avoided=repeat)
        assert again.status_code == 200
        assert again.json() == first.json()
        assert again.headers["etag"] == first.headers["etag"]


async def test_acknowledging_again_with_a_different_answer_is_a_conflict_naming_what_was_recorded(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    first = (await acknowledge(client, identity.practice(), request_id, referral_avoided=True)).json()
    response = await acknowledge(client, identity.practice(), request_id, referral_avoided=False)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["recorded"]["referral_avoided"] is True
    assert problem["recorded"]["acknowledged_at"] == first["acknowledged_at"]
    assert problem["recorded"]["acknowledgement_source"] == "api"
    assert first["acknowledged_at"] in problem["detail"]
    assert (await read(client, identity.practice(), request_id)).json()["referral_avoided"] is True


async def test_an_outcome_left_out_may_be_added_once_and_then_never_changed(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    closed = await acknowledge(client, identity.practice(), request_id)
    assert closed.json()["referral_avoided"] is None
    added = await acknowledge(client, identity.practice(), request_id, referral_avoided=False)
    assert added.status_code == 200
    assert added.json()["referral_avoided"] is False
    assert added.json()["acknowledged_at"] == closed.json()["acknowledged_at"]
    changed = await acknowledge(client, identity.practice(), request_id, referral_avoided=True)
    assert changed.status_code == 409
    assert changed.json()["recorded"]["referral_avoided"] is False
    assert (await read(client, identity.practice(), request_id)).json()["referral_avoided"] is False


async def test_an_acknowledgement_without_a_body_closes_the_request(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    response = await acknowledge(client, identity.practice(), request_id)
    assert response.json()["status"] == "closed"
    assert response.json()["referral_avoided"] is None


async def test_advice_not_yet_given_cannot_be_acknowledged(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    response = await acknowledge(client, identity.practice(), request_id)
    assert response.status_code == 409
    assert response.json()["allowed"] == [
        "request-further-information",
        "give-advice",
        "convert-to-referral",
        "cancel",
    ]


async def test_only_the_requesting_practice_acknowledges(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    assert (await acknowledge(client, identity.consultant(), request_id)).status_code == 403
    assert (await acknowledge(client, identity.practice(ods=BOW), request_id)).status_code == 404


async def test_a_mesh_acknowledgement_closes_the_request_once(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    await _mesh_acknowledgement(app, request_id)
    closed = (await read(client, identity.practice(), request_id)).json()
    await _mesh_acknowledgement(app, request_id)
    again = (await read(client, identity.practice(), request_id)).json()
    assert closed["status"] == "closed"
    assert again == closed


async def test_the_practice_can_still_say_a_referral_was_avoided_after_the_mesh_acknowledgement(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    await _mesh_acknowledgement(app, request_id)
    response = await acknowledge(client, identity.practice(), request_id, referral_avoided=True)
    assert response.json()["referral_avoided"] is True
    assert response.json()["status"] == "closed"
    await _mesh_acknowledgement(app, request_id, referral_avoided=False)
    assert (await read(client, identity.practice(), request_id)).json()["referral_avoided"] is True


async def test_a_mesh_acknowledgement_of_a_request_for_information_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    await answered(client, identity.consultant(), request_id, outcome="further-information-required")
    before = (await read(client, identity.practice(), request_id)).json()
    await _mesh_acknowledgement(app, request_id)
    assert (await read(client, identity.practice(), request_id)).json() == before


async def test_a_mesh_acknowledgement_for_an_unknown_request_is_ignored(app: FastAPI) -> None:
    await _mesh_acknowledgement(app, "0" * 32)


@pytest.mark.parametrize("outcome", [None, "further-information-required"])
async def test_the_practice_cancels_an_unanswered_request(
    client: httpx.AsyncClient, identity: IdentityProvider, outcome: str | None
) -> None:
    request_id = await submitted(client, identity.practice())
    if outcome is not None:
        await answered(client, identity.consultant(), request_id, outcome=outcome)
    response = await cancel(client, identity.practice(), request_id)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["closed_at"] is not None


async def test_answered_advice_cannot_be_cancelled(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    response = await cancel(client, identity.practice(), request_id)
    assert response.status_code == 409
    assert response.json()["allowed"] == ["give-advice", "acknowledge"]


async def test_only_the_practice_cancels(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    request_id = await submitted(client, identity.practice())
    assert (await cancel(client, identity.consultant(), request_id)).status_code == 403
    assert (await cancel(client, identity.practice(ods=BOW), request_id)).status_code == 404
