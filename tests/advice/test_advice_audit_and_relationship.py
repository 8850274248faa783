"""Every advice read and write is audited against the patient, and an open request gives a relationship."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.access.relationships import has_relationship
from app.audit.models import AuditEvent
from tests.advice.advice_calls import acknowledge, answered, cancel, post_message, read, submitted
from tests.advice.practices import BOW, MILE_END_PATIENT
from tests.support.identity import IdentityProvider, bearer


async def _trail(client: httpx.AsyncClient, identity: IdentityProvider) -> list[tuple[str, str, str]]:
    response = await client.get(f"/v1/audit?nhs_number={MILE_END_PATIENT}", headers=bearer(identity.admin()))
    events = reversed(response.json()["events"])
    return [(event["purpose"], event["actor"], event["outcome"]) for event in events]


async def test_each_step_of_the_loop_leaves_an_audit_event_for_the_patient(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    await post_message(client, identity.consultant(), request_id)
    await answered(client, identity.consultant(), request_id)
    await acknowledge(client, identity.practice(), request_id)
    await read(client, identity.practice(), request_id)
    assert await _trail(client, identity) == [
        # The practice's system is down here: the criteria read is on record, failed, and the request kept.
        ("check referral criteria for an advice request", "gp-system-1", "failed"),
        ("request specialist advice", "gp-system-1", "success"),
        ("write in an advice conversation", "dr-lee", "success"),
        ("read an advice request", "dr-lee", "success"),
        ("give specialist advice", "dr-lee", "success"),
        ("acknowledge specialist advice", "gp-system-1", "success"),
        ("read an advice request", "gp-system-1", "success"),
    ]


async def test_a_refused_write_is_audited_as_failed(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    assert (await acknowledge(client, identity.practice(), request_id)).status_code == 409
    assert (await _trail(client, identity))[-1] == ("acknowledge specialist advice", "gp-system-1", "failed")


async def test_listing_one_patients_requests_is_audited_against_the_patient(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await client.get(
        f"/v1/advice-requests?nhs_number={MILE_END_PATIENT}", headers=bearer(identity.consultant())
    )
    assert await _trail(client, identity) == [("list advice requests", "dr-lee", "success")]


async def test_a_request_another_practice_cannot_see_is_audited_as_not_found_without_the_patient(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    await read(client, identity.practice(ods=BOW, sub="bow-system"), request_id)
    async with app.state.session_factory() as session:
        query = select(AuditEvent).where(col(AuditEvent.actor) == "bow-system")
        [event] = (await session.execute(query)).scalars()
    assert (event.outcome, event.status, event.nhs_number) == ("not-found", 404, None)


async def _relationship(app: FastAPI, specialty: str = "nephrology") -> bool:
    async with app.state.session_factory() as session:
        return await has_relationship(session, specialty, MILE_END_PATIENT)


async def test_an_open_request_gives_its_specialty_a_relationship_with_the_patient(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    assert not await _relationship(app)
    await submitted(client, identity.practice())
    assert await _relationship(app)
    assert not await _relationship(app, "cardiology")


@pytest.mark.parametrize(("ending", "kept"), [("acknowledge", False), ("cancel", False), ("convert", True)])
async def test_the_relationship_ends_with_the_request_unless_it_became_a_referral(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, ending: str, kept: bool
) -> None:
    request_id = await submitted(client, identity.practice(), authorised_to_convert=True)
    if ending == "cancel":
        await cancel(client, identity.practice(), request_id)
    elif ending == "convert":
        await answered(client, identity.consultant(), request_id, outcome="converted-to-referral")
    else:
        await answered(client, identity.consultant(), request_id)
        await acknowledge(client, identity.practice(), request_id)
    assert await _relationship(app) is kept
