"""Opening clinics and putting patients on their lists, and every refusal.

No record is read here, so the practice is a practices file that points nowhere: the app starts faster than
with the generated demo practice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from app.advice.models import AdviceRequest
from app.clinics.models import Clinic
from app.core.config import Settings
from tests.clinics.clinic_calls import (
    CLINIC_DAY,
    add_entry,
    add_patients,
    open_clinic,
    opened,
    with_unreachable_practice,
)
from tests.support.identity import IdentityProvider, bearer

ACR_RISING = "ACR rising on two tests"

PRACTICE = "A11111"
FIRST, SECOND = "9990001006", "9990001014"
UNKNOWN_TO_THE_DIRECTORY = "9434765919"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return with_unreachable_practice(settings, tmp_path, {FIRST: PRACTICE, SECOND: PRACTICE})


async def _advice_request(client: httpx.AsyncClient, identity: IdentityProvider, nhs_number: str) -> str:
    body = {"nhs_number": nhs_number, "specialty": "nephrology", "question": "Refer?", "urgency": "routine"}
    headers = {**bearer(identity.practice(ods=PRACTICE)), "Idempotency-Key": f"key-{nhs_number}"}
    response = await client.post("/v1/advice-requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    request_id: str = response.json()["id"]
    return request_id


async def test_a_consultant_opens_a_clinic_of_their_specialty(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await open_clinic(client, identity.consultant())
    assert response.status_code == 201, response.text
    clinic = response.json()
    assert response.headers["location"] == f"/v1/clinics/{clinic['id']}"
    assert clinic["status"] == "open"
    assert clinic["date"] == CLINIC_DAY
    assert clinic["consultant"] == {"sub": "dr-lee", "name": "Dr Lee"}
    assert clinic["created_by"] == "dr-lee"


async def test_an_admin_opens_a_clinic_for_a_consultant(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await open_clinic(client, identity.admin(), consultant={"sub": "dr-shah", "name": "Dr Shah"})
    assert response.status_code == 201, response.text
    assert response.json()["created_by"] == "admin-1"


async def test_opening_a_clinic_is_refused(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    refusals = [
        (identity.practice(), "nephrology", 403),
        (identity.consultant(specialty="cardiology"), "nephrology", 403),
        (identity.admin(), "dermatology", 422),
    ]
    for token, specialty, status in refusals:
        response = await open_clinic(client, token, specialty=specialty)
        assert response.status_code == status, (specialty, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    blank_name = await open_clinic(client, identity.admin(), consultant={"sub": "dr-shah", "name": " "})
    assert blank_name.status_code == 422


async def test_clinics_are_listed_to_their_specialty_and_to_admins(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    clinic_id = await opened(client, identity.consultant())
    for token, expected in [
        (identity.consultant(sub="dr-okafor"), [clinic_id]),
        (identity.admin(), [clinic_id]),
        (identity.consultant(specialty="cardiology"), []),
    ]:
        response = await client.get("/v1/clinics", params={"date": CLINIC_DAY}, headers=bearer(token))
        assert [clinic["id"] for clinic in response.json()] == expected
    refused = await client.get("/v1/clinics", headers=bearer(identity.practice()))
    assert refused.status_code == 403


async def test_patients_join_the_list_by_nhs_number_in_order(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    clinic_id = await opened(client, consultant)
    first = await add_entry(client, consultant, clinic_id, {"nhs_number": FIRST, "reason": ACR_RISING})
    assert first.status_code == 201, first.text
    assert first.json() | {"id": None, "added_at": None} == {
        "id": None,
        "position": 1,
        "nhs_number": FIRST,
        "practice_ods": PRACTICE,
        "advice_request_id": None,
        "reason": ACR_RISING,
        "status": "waiting",
        "added_by": "dr-lee",
        "added_at": None,
    }
    await add_patients(client, identity.admin(), clinic_id, [SECOND])
    detail = (await client.get(f"/v1/clinics/{clinic_id}", headers=bearer(consultant))).json()
    assert [(e["position"], e["nhs_number"]) for e in detail["entries"]] == [(1, FIRST), (2, SECOND)]


async def test_the_patient_of_an_open_advice_request_joins_the_list(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advice_request(client, identity, FIRST)
    clinic_id = await opened(client, identity.consultant())
    response = await add_entry(client, identity.consultant(), clinic_id, {"advice_request_id": request_id})
    assert response.status_code == 201, response.text
    entry = response.json()
    assert (entry["nhs_number"], entry["practice_ods"]) == (FIRST, PRACTICE)
    assert (entry["advice_request_id"], entry["reason"]) == (request_id, None)


async def test_advice_given_marks_the_patient_advised_but_a_question_back_does_not(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    first = await _advice_request(client, identity, FIRST)
    second = await _advice_request(client, identity, SECOND)
    clinic_id = await opened(client, identity.consultant())
    for request_id in (first, second):
        await add_entry(client, identity.consultant(), clinic_id, {"advice_request_id": request_id})
    for request_id, outcome in ((first, "return-with-advice"), (second, "further-information-required")):
        etag = await client.get(f"/v1/advice-requests/{request_id}", headers=bearer(identity.consultant()))
        answer = {"outcome": outcome, "recommendation": "advice-only", "advice": "See letter.", "actions": []}
        headers = {
            **bearer(identity.consultant()),
            "If-Match": etag.headers["etag"],
            "Idempotency-Key": f"answer-{request_id}",
        }
        response = await client.post(
            f"/v1/advice-requests/{request_id}/response", json=answer, headers=headers
        )
        assert response.status_code == 201, response.text
    clinic = (await client.get(f"/v1/clinics/{clinic_id}", headers=bearer(identity.consultant()))).json()
    assert {e["nhs_number"]: e["status"] for e in clinic["entries"]} == {FIRST: "advised", SECOND: "waiting"}


async def test_a_cancelled_advice_request_cannot_join_a_clinic(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advice_request(client, identity, FIRST)
    headers = {**bearer(identity.practice(ods=PRACTICE)), "Idempotency-Key": "cancel-it"}
    cancelled = await client.post(f"/v1/advice-requests/{request_id}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    clinic_id = await opened(client, identity.consultant())
    response = await add_entry(client, identity.consultant(), clinic_id, {"advice_request_id": request_id})
    assert response.status_code == 409
    assert response.json()["current_status"] == "cancelled"


async def test_an_advice_request_of_another_specialty_cannot_join_a_clinic(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    now = datetime.now(UTC)
    cardiology = AdviceRequest(
        nhs_number=FIRST,
        practice_ods=PRACTICE,
        specialty="cardiology",
        question="Murmur: echo first?",
        urgency="routine",
        status="awaiting-review",
        created_by="gp-system-1",
        created_at=now,
        updated_at=now,
    )
    async with app.state.session_factory() as session:
        session.add(cardiology)
        await session.commit()
    clinic_id = await opened(client, identity.consultant())
    response = await add_entry(client, identity.consultant(), clinic_id, {"advice_request_id": cardiology.id})
    assert response.status_code == 422
    assert "cardiology" in response.json()["detail"]


async def test_an_entry_that_is_not_valid_is_422(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    clinic_id = await opened(client, identity.consultant())
    not_valid = {
        "invalid NHS number": {"nhs_number": "9434765918", "reason": ACR_RISING},
        "no reason": {"nhs_number": FIRST},
        "blank reason": {"nhs_number": FIRST, "reason": "   "},
        "both ways at once": {"advice_request_id": "0" * 32, "nhs_number": FIRST},
        "unknown advice request": {"advice_request_id": "0" * 32},
    }
    for why, body in not_valid.items():
        response = await add_entry(client, identity.consultant(), clinic_id, body)
        assert response.status_code == 422, (why, response.text)


async def test_the_same_patient_twice_on_one_list_is_409(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    clinic_id = await opened(client, identity.consultant())
    await add_patients(client, identity.consultant(), clinic_id, [FIRST])
    again = await add_entry(
        client, identity.consultant(), clinic_id, {"nhs_number": FIRST, "reason": "added again by mistake"}
    )
    assert again.status_code == 409
    assert again.json()["entry_id"]


async def test_a_patient_the_directory_does_not_know_is_404(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    clinic_id = await opened(client, identity.consultant())
    body = {"nhs_number": UNKNOWN_TO_THE_DIRECTORY, "reason": ACR_RISING}
    response = await add_entry(client, identity.consultant(), clinic_id, body)
    assert response.status_code == 404


async def test_a_closed_clinic_takes_no_more_patients(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    clinic_id = await opened(client, identity.consultant())
    async with app.state.session_factory() as session:
        await session.execute(update(Clinic).where(col(Clinic.id) == clinic_id).values(status="closed"))
        await session.commit()
    response = await add_entry(
        client, identity.consultant(), clinic_id, {"nhs_number": FIRST, "reason": ACR_RISING}
    )
    assert response.status_code == 409
    assert response.json()["current_status"] == "closed"


async def test_an_unknown_clinic_is_404(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    unknown = "0" * 32
    for path in (f"/v1/clinics/{unknown}", f"/v1/clinics/{unknown}/worklist"):
        assert (await client.get(path, headers=bearer(identity.consultant()))).status_code == 404
    added = await add_entry(
        client, identity.consultant(), unknown, {"nhs_number": FIRST, "reason": ACR_RISING}
    )
    assert added.status_code == 404


async def test_only_the_specialty_and_admins_work_with_a_clinic(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    clinic_id = await opened(client, identity.consultant())
    for outsider in (identity.consultant(specialty="cardiology"), identity.practice()):
        for path in (f"/v1/clinics/{clinic_id}", f"/v1/clinics/{clinic_id}/worklist"):
            assert (await client.get(path, headers=bearer(outsider))).status_code == 403
        added = await add_entry(client, outsider, clinic_id, {"nhs_number": FIRST, "reason": ACR_RISING})
        assert added.status_code == 403
