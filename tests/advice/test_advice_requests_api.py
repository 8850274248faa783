"""Submitting, listing and reading advice requests, and who may do each."""

from __future__ import annotations

import httpx
import pytest

from tests.advice.advice_calls import new_key, read, submit, submitted
from tests.advice.practices import (
    BOW,
    BOW_PATIENT,
    MILE_END,
    MILE_END_PATIENT,
    SECOND_MILE_END_PATIENT,
    UNREGISTERED_PATIENT,
)
from tests.support.identity import IdentityProvider, bearer


async def test_a_practice_submits_a_request_for_its_own_patient(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await submit(client, identity.practice(ods=MILE_END), urgency="urgent")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "awaiting-review"
    assert body["version"] == 1
    assert response.headers["location"] == f"/v1/advice-requests/{body['id']}"
    assert response.headers["etag"] == '"1"'


async def test_the_submitted_request_reads_back_with_its_context(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    context = {"latest_egfr": 41, "medications": ["ramipril"]}
    request_id = await submitted(client, identity.practice(), context=context)
    body = (await read(client, identity.practice(), request_id)).json()
    assert body["nhs_number"] == MILE_END_PATIENT
    assert body["practice_ods"] == MILE_END
    assert body["context"] == context
    assert body["created_by"] == "gp-system-1"
    assert body["messages"] == []
    assert body["responses"] == []
    assert body["delivery"] == []


async def test_a_gp_user_may_submit_as_well_as_a_gp_system(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await submit(client, identity.practice(role="gp", sub="dr-patel"))
    assert response.status_code == 201


@pytest.mark.parametrize("role", ["consultant", "admin"])
async def test_only_practices_submit_requests(
    client: httpx.AsyncClient, identity: IdentityProvider, role: str
) -> None:
    token = identity.consultant() if role == "consultant" else identity.admin()
    assert (await submit(client, token)).status_code == 403


async def test_a_practice_cannot_ask_about_another_practices_patient(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await submit(client, identity.practice(ods=MILE_END), nhs_number=BOW_PATIENT)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_patient_the_directory_does_not_know_is_not_found(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await submit(client, identity.practice(), nhs_number=UNREGISTERED_PATIENT)
    assert response.status_code == 404


async def test_an_invalid_nhs_number_is_a_validation_problem(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await submit(client, identity.practice(), nhs_number="9434765918")
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "nhs_number"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("specialty", "astrology"),
        ("urgency", "whenever"),
        ("question", "x" * 4001),
        ("question", "   "),
        ("context", {"notes": "x" * 20_000}),
        ("context", {"latest_egfr": 2**70}),
    ],
    ids=[
        "unknown-specialty",
        "unknown-urgency",
        "question-too-long",
        "blank-question",
        "context-too-large",
        "context-number-beyond-64-bits",
    ],
)
async def test_an_invalid_submission_is_unprocessable(
    client: httpx.AsyncClient, identity: IdentityProvider, field: str, value: object
) -> None:
    response = await submit(client, identity.practice(), **{field: value})
    assert response.status_code == 422


async def test_a_post_without_an_idempotency_key_is_a_bad_request(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    body = {"nhs_number": MILE_END_PATIENT, "specialty": "nephrology", "question": "?", "urgency": "routine"}
    response = await client.post("/v1/advice-requests", json=body, headers=bearer(identity.practice()))
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


async def test_another_practice_finds_no_such_request(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice(ods=MILE_END))
    response = await read(client, identity.practice(ods=BOW), request_id)
    assert response.status_code == 404
    unknown = await read(client, identity.practice(ods=BOW), new_key())
    assert response.json()["title"] == unknown.json()["title"]


async def test_a_consultant_of_another_specialty_finds_no_such_request(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    assert (await read(client, identity.consultant(specialty="cardiology"), request_id)).status_code == 404
    assert (await read(client, identity.consultant(), request_id)).status_code == 200
    assert (await read(client, identity.admin(), request_id)).status_code == 200


async def _listed(client: httpx.AsyncClient, token: str, query: str = "") -> list[str]:
    response = await client.get(f"/v1/advice-requests{query}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_each_caller_lists_only_what_they_may_see(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    mile_end = await submitted(client, identity.practice(ods=MILE_END))
    bow = await submitted(client, identity.practice(ods=BOW), nhs_number=BOW_PATIENT)
    assert await _listed(client, identity.practice(ods=MILE_END)) == [mile_end]
    assert await _listed(client, identity.practice(ods=BOW)) == [bow]
    assert await _listed(client, identity.consultant()) == [mile_end, bow]
    assert await _listed(client, identity.consultant(specialty="cardiology")) == []
    assert await _listed(client, identity.admin()) == [mile_end, bow]


async def test_the_list_filters_by_status_specialty_and_patient(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    first = await submitted(client, identity.practice())
    second = await submitted(client, identity.practice(), nhs_number=SECOND_MILE_END_PATIENT)
    admin = identity.admin()
    assert await _listed(client, admin, "?status=awaiting-review&specialty=nephrology") == [first, second]
    assert await _listed(client, admin, "?status=closed") == []
    assert await _listed(client, admin, f"?nhs_number={SECOND_MILE_END_PATIENT}") == [second]


@pytest.mark.parametrize("query", ["?specialty=astrology", "?status=lost", "?after=not-a-cursor"])
async def test_an_invalid_list_filter_is_unprocessable(
    client: httpx.AsyncClient, identity: IdentityProvider, query: str
) -> None:
    response = await client.get(f"/v1/advice-requests{query}", headers=bearer(identity.admin()))
    assert response.status_code == 422


async def test_the_list_pages_by_cursor_without_gaps_or_repeats(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    created = [await submitted(client, identity.practice()) for _ in range(5)]
    seen: list[str] = []
    query = "?limit=2"
    while True:
        page = (await client.get(f"/v1/advice-requests{query}", headers=bearer(identity.admin()))).json()
        seen.extend(item["id"] for item in page["items"])
        if page["next_cursor"] is None:
            break
        query = f"?limit=2&after={page['next_cursor']}"
    assert seen == created
