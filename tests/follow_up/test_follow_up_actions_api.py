"""Tracked follow-up actions through the API: made from a response, listed, marked done, superseded."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.advice.responses import practice_today
from app.audit.models import AuditEvent
from tests.advice.advice_calls import answered, post_message, submitted
from tests.advice.practices import BOW, BOW_PATIENT, MILE_END, MILE_END_PATIENT
from tests.follow_up.follow_up_calls import (
    REPEAT_UE,
    REPEAT_UE_ACR,
    STOP_NSAID,
    advised_with,
    mark_done,
    practice_actions,
    request_actions,
)
from tests.support.identity import IdentityProvider, bearer


async def test_each_action_of_a_response_becomes_an_open_tracked_action_due_after_its_interval(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    _request_id, (repeat, nsaid) = await advised_with(client, identity, REPEAT_UE_ACR, STOP_NSAID)

    assert (repeat["status"], repeat["due_date"]) == ("open", str(practice_today() + timedelta(days=90)))
    assert (nsaid["status"], nsaid["due_date"]) == ("open", str(practice_today() + timedelta(days=7)))
    assert (repeat["closes_by_result"], nsaid["closes_by_result"]) == (True, False)
    assert (repeat["nhs_number"], repeat["practice_ods"], repeat["overdue"]) == (
        MILE_END_PATIENT,
        MILE_END,
        False,
    )


async def test_the_practice_marks_an_action_done_and_again_changes_nothing(
    client: httpx.AsyncClient, identity: IdentityProvider, app: FastAPI
) -> None:
    _request_id, (nsaid,) = await advised_with(client, identity, STOP_NSAID)
    gp = identity.practice(role="gp", sub="dr-shah")

    first = await mark_done(client, gp, nsaid["id"])
    again = await mark_done(client, identity.practice(), nsaid["id"])

    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["closed_by"]) == ("done", "dr-shah")
    assert again.status_code == 200
    assert again.json() == first.json()
    async with app.state.session_factory() as session:
        purposes = (
            await session.execute(
                select(AuditEvent.purpose).where(AuditEvent.purpose == "mark a follow-up action done")
            )
        ).all()
    assert len(purposes) == 2


async def test_only_the_practice_marks_its_actions_done(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    _request_id, (nsaid,) = await advised_with(client, identity, STOP_NSAID)

    other_practice = await mark_done(client, identity.practice(ods=BOW), nsaid["id"])
    consultant = await mark_done(client, identity.consultant(), nsaid["id"])
    admin = await mark_done(client, identity.admin(), nsaid["id"])

    assert other_practice.status_code == 404
    assert (consultant.status_code, admin.status_code) == (403, 403)
    assert consultant.headers["content-type"] == "application/problem+json"


async def test_consultants_of_the_specialty_and_admins_read_actions_and_other_practices_do_not(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    _request_id, (nsaid,) = await advised_with(client, identity, STOP_NSAID)

    def read(token: str) -> object:
        return client.get(f"/v1/follow-up-actions/{nsaid['id']}", headers=bearer(token))

    assert (await read(identity.consultant())).status_code == 200  # type: ignore[attr-defined]
    assert (await read(identity.admin())).status_code == 200  # type: ignore[attr-defined]
    assert (await read(identity.consultant(specialty="diabetes"))).status_code == 404  # type: ignore[attr-defined]
    assert (await read(identity.practice(ods=BOW))).status_code == 404  # type: ignore[attr-defined]
    assert (await practice_actions(client, identity.practice(ods=BOW), MILE_END)).status_code == 403


async def test_advice_given_again_supersedes_the_open_actions_and_keeps_the_done_ones(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    await answered(
        client,
        identity.consultant(),
        request_id,
        outcome="further-information-required",
        actions=[REPEAT_UE, STOP_NSAID],
    )
    first = {a["code"]: a for a in await request_actions(client, identity.practice(), request_id)}
    await mark_done(client, identity.practice(), first["stop-nsaid"]["id"])
    await post_message(client, identity.practice(), request_id)
    await answered(client, identity.consultant(), request_id, actions=[REPEAT_UE_ACR])

    after = {
        (a["code"], a["response_id"]): a["status"]
        for a in await request_actions(client, identity.practice(), request_id)
    }
    refused = await mark_done(client, identity.practice(), first["repeat-ue-2-weeks"]["id"])

    assert sorted(after.values()) == ["done", "open", "superseded"]
    assert after[("repeat-ue-2-weeks", first["repeat-ue-2-weeks"]["response_id"])] == "superseded"
    assert refused.status_code == 409


async def test_a_practice_list_is_ordered_by_due_date_filtered_by_status_and_paged(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await advised_with(client, identity, REPEAT_UE_ACR, STOP_NSAID, REPEAT_UE)
    await advised_with(client, identity, REPEAT_UE, ods=BOW, nhs_number=BOW_PATIENT)  # another practice's
    gp = identity.practice()

    first = (await practice_actions(client, gp, MILE_END, limit=2)).json()
    second = (await practice_actions(client, gp, MILE_END, limit=2, after=first["next_cursor"])).json()
    done_only = (await practice_actions(client, gp, MILE_END, status="done")).json()

    codes = [item["code"] for item in first["items"] + second["items"]]
    assert codes == ["stop-nsaid", "repeat-ue-2-weeks", "repeat-ue-acr-3-months"]
    assert second["next_cursor"] is None
    assert done_only == {"items": [], "next_cursor": None}


async def test_a_cursor_the_list_never_gave_is_422(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await practice_actions(client, identity.practice(), MILE_END, after="bm90LWEtY3Vyc29y")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
