"""A patient put on a clinic list by NHS number is a consultant-initiated access, and the practice sees it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS, DEMO_PRACTICE_ODS
from app.audit.service import CONSULTANT_INITIATED, verify_chain
from app.core.config import Settings
from tests.clinics.clinic_calls import add_entry, opened, worklist_rows
from tests.support.identity import IdentityProvider, bearer

PATIENT = DEMO_PATIENTS[0].nhs_number
REASON = "eGFR fell by a third on the practice's search"


async def _practice_trail(client: httpx.AsyncClient, identity: IdentityProvider) -> list[dict[str, Any]]:
    """The patient's audit trail as their own registered practice reads it."""
    response = await client.get(
        "/v1/audit", params={"nhs_number": PATIENT}, headers=bearer(identity.practice(ods=DEMO_PRACTICE_ODS))
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


async def _ask_for_advice(client: httpx.AsyncClient, identity: IdentityProvider) -> str:
    # The patient meets none of the referral criteria, so the practice says why it asks.
    body = {
        "nhs_number": PATIENT,
        "specialty": "nephrology",
        "question": "Refer?",
        "urgency": "routine",
        "outside_criteria_reason": "Strong family history of kidney failure.",
    }
    headers = {**bearer(identity.practice(ods=DEMO_PRACTICE_ODS)), "Idempotency-Key": uuid.uuid4().hex}
    response = await client.post("/v1/advice-requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    request_id: str = response.json()["id"]
    return request_id


@pytest.mark.parametrize(
    "reason", ["review", "see patient", "x y", "  a  b  c  ", "ok ok ok ok"], ids=lambda reason: repr(reason)
)
async def test_a_reason_of_fewer_than_three_words_and_15_characters_is_422_naming_the_rule(
    client: httpx.AsyncClient, identity: IdentityProvider, reason: str
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    response = await add_entry(client, consultant, clinic_id, {"nhs_number": PATIENT, "reason": reason})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "at least 3 words and 15 characters" in response.text


async def test_adding_by_nhs_number_is_flagged_with_its_reason_in_the_practices_trail(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    added = await add_entry(client, consultant, clinic_id, {"nhs_number": PATIENT, "reason": REASON})
    assert added.status_code == 201, added.text

    [event] = await _practice_trail(client, identity)
    assert (event["purpose"], event["actor"]) == ("add a patient to a clinic", "dr-lee")
    assert (event["access_basis"], event["access_reason"]) == (CONSULTANT_INITIATED, REASON)


async def test_every_read_resting_on_that_entry_is_flagged_too(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    await add_entry(client, consultant, clinic_id, {"nhs_number": PATIENT, "reason": REASON})

    summary = await client.get(f"/v1/patients/{PATIENT}/summaries/nephrology", headers=bearer(consultant))
    assert summary.status_code == 200, summary.text
    await worklist_rows(client, consultant, clinic_id)

    reads = [
        e for e in await _practice_trail(client, identity) if e["purpose"] != "add a patient to a clinic"
    ]
    assert {e["purpose"] for e in reads} == {"read a specialty summary", "clinic worklist"}
    assert {(e["access_basis"], e["access_reason"], e["break_glass_reason"]) for e in reads} == {
        (CONSULTANT_INITIATED, REASON, None)
    }
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
    assert verdict.intact, verdict.problems


async def test_an_entry_from_the_practices_advice_request_is_not_flagged(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    request_id = await _ask_for_advice(client, identity)
    added = await add_entry(client, consultant, clinic_id, {"advice_request_id": request_id})
    assert added.status_code == 201, added.text
    await client.get(f"/v1/patients/{PATIENT}/summaries/nephrology", headers=bearer(consultant))
    await worklist_rows(client, consultant, clinic_id)

    consultant_events = [e for e in await _practice_trail(client, identity) if e["role"] == "consultant"]
    assert len(consultant_events) == 3
    assert {e["access_basis"] for e in consultant_events} == {None}


async def test_a_read_rests_on_the_practices_request_when_there_is_one(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    await add_entry(client, consultant, clinic_id, {"nhs_number": PATIENT, "reason": REASON})
    await _ask_for_advice(client, identity)

    await client.get(f"/v1/patients/{PATIENT}/summaries/nephrology", headers=bearer(consultant))

    [read] = [
        e for e in await _practice_trail(client, identity) if e["purpose"] == "read a specialty summary"
    ]
    assert read["access_basis"] is None
