"""The consultant's response: If-Match, the outcome's transition, follow-up actions and the advice message."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.advice.responses import practice_today
from app.outbox.models import OutboxMessage
from tests.advice.advice_calls import answered, current_etag, read, respond, submitted
from tests.advice.practices import BOW, BOW_PATIENT, UNCONNECTED, UNCONNECTED_PATIENT
from tests.support.identity import IdentityProvider


async def _outbox(app: FastAPI) -> list[OutboxMessage]:
    async with app.state.session_factory() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def test_advice_moves_the_request_to_advice_given_and_changes_its_etag(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    before = await current_etag(client, identity.consultant(), request_id)
    response = await respond(client, identity.consultant(), request_id, if_match=before)
    assert response.status_code == 201
    body = response.json()
    assert body["request"]["status"] == "advice-given"
    assert body["request"]["advice_given_at"] is not None
    assert response.headers["etag"] != before
    assert response.headers["etag"] == await current_etag(client, identity.practice(), request_id)


async def test_a_response_without_if_match_is_refused_with_428(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    response = await respond(client, identity.consultant(), request_id, if_match=None)
    assert response.status_code == 428
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_response_against_a_stale_version_is_refused_with_412(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    stale = await current_etag(client, identity.consultant(), request_id)
    await answered(client, identity.consultant(sub="dr-okafor"), request_id)
    response = await respond(client, identity.consultant(), request_id, if_match=stale)
    assert response.status_code == 412
    assert response.headers["etag"] == await current_etag(client, identity.consultant(), request_id)


async def test_of_two_consultants_answering_the_same_version_at_once_one_is_told_it_is_stale(
    client: httpx.AsyncClient, second_instance: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    etag = await current_etag(client, identity.consultant(), request_id)
    responses = await asyncio.gather(
        respond(client, identity.consultant(sub="dr-lee"), request_id, if_match=etag),
        respond(second_instance, identity.consultant(sub="dr-okafor"), request_id, if_match=etag),
    )
    assert sorted(response.status_code for response in responses) == [201, 412]
    assert len((await read(client, identity.consultant(), request_id)).json()["responses"]) == 1


async def test_if_match_star_is_refused_because_a_response_needs_the_version_it_was_written_against(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    etag = await current_etag(client, identity.consultant(), request_id)
    for if_match in ("*", f"{etag}, *"):
        response = await respond(client, identity.consultant(), request_id, if_match=if_match)
        assert response.status_code == 428
        assert response.headers["content-type"] == "application/problem+json"
        assert "specific ETag" in response.json()["detail"]
        assert response.headers["etag"] == etag
    assert await current_etag(client, identity.consultant(), request_id) == etag


async def test_an_unquoted_version_number_is_read_as_that_versions_etag(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    etag = await current_etag(client, identity.consultant(), request_id)
    response = await respond(client, identity.consultant(), request_id, if_match=etag.strip('"'))
    assert response.status_code == 201, response.text


async def test_an_unquoted_stale_version_is_still_refused_with_412(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    stale = (await current_etag(client, identity.consultant(), request_id)).strip('"')
    await answered(client, identity.consultant(sub="dr-okafor"), request_id)
    response = await respond(client, identity.consultant(), request_id, if_match=stale)
    assert response.status_code == 412


@pytest.mark.parametrize("answers", [10])
async def test_of_many_answers_sent_at_once_with_the_same_etag_exactly_one_is_recorded(
    client: httpx.AsyncClient, second_instance: httpx.AsyncClient, identity: IdentityProvider, answers: int
) -> None:
    request_id = await submitted(client, identity.practice())
    etag = await current_etag(client, identity.consultant(), request_id)
    instances = [client, second_instance]
    responses = await asyncio.gather(
        *(
            respond(instances[n % 2], identity.consultant(sub=f"dr-{n}"), request_id, if_match=etag)
            for n in range(answers)
        )
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [412] * (answers - 1)
    assert len((await read(client, identity.consultant(), request_id)).json()["responses"]) == 1


async def test_only_consultants_respond(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    request_id = await submitted(client, identity.practice())
    etag = await current_etag(client, identity.practice(), request_id)
    assert (await respond(client, identity.practice(), request_id, if_match=etag)).status_code == 403
    assert (await respond(client, identity.admin(), request_id, if_match=etag)).status_code == 403


async def test_a_consultant_of_another_specialty_finds_no_request_to_answer(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    etag = await current_etag(client, identity.admin(), request_id)
    cardiologist = identity.consultant(specialty="cardiology")
    assert (await respond(client, cardiologist, request_id, if_match=etag)).status_code == 404


async def test_asking_for_information_waits_for_the_practice(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    response = await answered(
        client,
        identity.consultant(),
        request_id,
        outcome="further-information-required",
        recommendation="other",
    )
    assert response.json()["request"]["status"] == "awaiting-gp-information"
    assert response.json()["request"]["advice_given_at"] is None


async def test_converting_to_a_referral_finishes_the_request(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice(), authorised_to_convert=True)
    response = await answered(
        client,
        identity.consultant(),
        request_id,
        outcome="converted-to-referral",
        recommendation="referral-recommended",
    )
    state = response.json()["request"]
    assert state["status"] == "converted-to-referral"
    assert state["advice_given_at"] == state["closed_at"]


async def test_an_illegal_transition_is_a_conflict_listing_what_is_allowed(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    await answered(client, identity.consultant(), request_id, outcome="further-information-required")
    etag = await current_etag(client, identity.consultant(), request_id)
    response = await respond(client, identity.consultant(), request_id, if_match=etag)
    assert response.status_code == 409
    body = response.json()
    assert body["allowed"] == ["provide-information", "cancel"]
    assert body["current_status"] == "awaiting-gp-information"


async def test_advice_over_8000_characters_is_unprocessable(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    etag = await current_etag(client, identity.consultant(), request_id)
    response = await respond(client, identity.consultant(), request_id, if_match=etag, advice="x" * 8001)
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "advice"]


async def test_an_unknown_action_code_is_unprocessable_and_changes_nothing(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    etag = await current_etag(client, identity.consultant(), request_id)
    actions = [{"code": "stop-nsaid"}, {"code": "buy-a-boat"}]
    response = await respond(client, identity.consultant(), request_id, if_match=etag, actions=actions)
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["location"] == ["body", "actions", "1", "code"]
    assert {"stop-nsaid", "renal-ultrasound"} <= set(problem["allowed"])
    assert "stop-nsaid" in problem["detail"]
    assert "stop-nsaid" in problem["errors"][0]["message"]
    assert await current_etag(client, identity.consultant(), request_id) == etag


async def test_actions_take_their_title_and_default_due_date_from_the_specialty(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    chosen = date(2030, 1, 31)
    actions = [
        {"code": "stop-nsaid", "note": "Ibuprofen on repeat"},
        {"code": "renal-ultrasound", "due_date": chosen.isoformat()},
    ]
    today = practice_today()
    response = await answered(client, identity.consultant(), request_id, actions=actions)
    stop_nsaid, ultrasound = response.json()["actions"]
    assert stop_nsaid["title"] == "Stop NSAIDs"
    assert stop_nsaid["note"] == "Ibuprofen on repeat"
    assert stop_nsaid["due_date"] in {(today + timedelta(days=7 + extra)).isoformat() for extra in (0, 1)}
    assert ultrasound["due_date"] == chosen.isoformat()


async def test_the_advice_message_goes_to_the_outbox_with_the_response(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice(ods=BOW), nhs_number=BOW_PATIENT)
    response = (await answered(client, identity.consultant(), request_id)).json()
    [queued] = await _outbox(app)
    assert queued.id == response["message_id"]
    assert queued.channel == "fhir-r4"
    snapshot = queued.payload
    assert snapshot["advice_request_id"] == request_id
    assert snapshot["version"] == 1
    assert snapshot["practice_name"] == "Bow Health Centre"
    assert snapshot["patient"]["nhs_number"] == BOW_PATIENT
    assert snapshot["advice"] == response["advice"]
    assert snapshot["consultant_id"] == "dr-lee"


async def test_a_practice_the_service_does_not_connect_reads_advice_from_its_feed(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice(ods=UNCONNECTED), nhs_number=UNCONNECTED_PATIENT)
    await answered(client, identity.consultant(), request_id)
    [queued] = await _outbox(app)
    assert queued.channel == "feed"
    assert queued.payload["practice_name"] is None


async def test_reissued_advice_is_a_new_message_with_the_next_version(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice(ods=BOW), nhs_number=BOW_PATIENT)
    first = (await answered(client, identity.consultant(), request_id)).json()
    second = (await answered(client, identity.consultant(), request_id, advice="Corrected dose.")).json()
    assert (first["message_version"], second["message_version"]) == (1, 2)
    assert first["message_id"] != second["message_id"]
    assert second["request"]["advice_given_at"] == first["request"]["advice_given_at"]
    body = (await read(client, identity.practice(ods=BOW), request_id)).json()
    assert [r["message_id"] for r in body["responses"]] == [first["message_id"], second["message_id"]]
    assert [d["message_id"] for d in body["delivery"]] == [first["message_id"], second["message_id"]]


async def test_if_match_accepts_a_list_holding_the_current_etag(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    response = await respond(client, identity.consultant(), request_id, if_match='"0", "1"')
    assert response.status_code == 201
