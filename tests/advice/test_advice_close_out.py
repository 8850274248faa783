"""The close-out questions at acknowledgement (Champlain BASE): each answer, repeats, contradictions, 422s."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.advice.models import AdviceRequest
from app.advice.service import record_acknowledgement
from schemas.api.advice import CourseOfAction, ReferralOutcome
from tests.advice.advice_calls import answered, new_key, read, submitted
from tests.support.identity import IdentityProvider, bearer

# What each referral outcome says of referral_avoided: only a referral that was in mind and is now not needed
# was avoided; no-benefit and other say nothing either way.
IMPLIED = {
    "referral-contemplated-now-avoided": True,
    "referral-contemplated-still-needed": False,
    "referral-not-contemplated-not-needed": False,
    "referral-not-contemplated-now-initiated": False,
    "no-benefit": None,
    "other": None,
}


async def _advised(client: httpx.AsyncClient, identity: IdentityProvider) -> str:
    request_id = await submitted(client, identity.practice())
    await answered(client, identity.consultant(), request_id)
    return request_id


async def _close_out(
    client: httpx.AsyncClient, identity: IdentityProvider, request_id: str, **answers: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/advice-requests/{request_id}/acknowledgement",
        json=answers,
        headers={**bearer(identity.practice()), "Idempotency-Key": new_key()},
    )


def test_the_vocabulary_is_champlains() -> None:
    assert [course.value for course in CourseOfAction] == [
        "confirmed-course-of-action",
        "new-or-additional-course-of-action",
        "response-not-useful",
        "none",
    ]
    assert [outcome.value for outcome in ReferralOutcome] == list(IMPLIED)


@pytest.mark.parametrize("course", [course.value for course in CourseOfAction])
async def test_each_course_of_action_is_recorded_and_shown(
    client: httpx.AsyncClient, identity: IdentityProvider, course: str
) -> None:
    request_id = await _advised(client, identity)
    response = await _close_out(client, identity, request_id, course_of_action=course)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    assert response.json()["course_of_action"] == course
    assert response.json()["referral_outcome"] is None
    shown = (await read(client, identity.consultant(), request_id)).json()
    assert shown["course_of_action"] == course


@pytest.mark.parametrize(("outcome", "avoided"), list(IMPLIED.items()))
async def test_each_referral_outcome_is_recorded_with_the_referral_avoided_it_implies(
    client: httpx.AsyncClient, identity: IdentityProvider, outcome: str, avoided: bool | None
) -> None:
    request_id = await _advised(client, identity)
    response = await _close_out(client, identity, request_id, referral_outcome=outcome)
    assert response.status_code == 200, response.text
    assert response.json()["referral_outcome"] == outcome
    assert response.json()["referral_avoided"] is avoided
    listed = await client.get("/v1/advice-requests", headers=bearer(identity.practice()))
    [item] = listed.json()["items"]
    assert (item["referral_outcome"], item["referral_avoided"]) == (outcome, avoided)


async def test_a_referral_avoided_that_agrees_with_the_outcome_is_accepted(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    response = await _close_out(
        client,
        identity,
        request_id,
        referral_avoided=True,
        course_of_action="new-or-additional-course-of-action",
        referral_outcome="referral-contemplated-now-avoided",
    )
    assert response.status_code == 200, response.text
    assert response.json()["referral_avoided"] is True


@pytest.mark.parametrize(
    ("outcome", "avoided"),
    [
        ("referral-contemplated-now-avoided", False),
        ("referral-contemplated-still-needed", True),
        ("referral-not-contemplated-now-initiated", True),
    ],
)
async def test_a_referral_avoided_contradicting_the_outcome_is_422_and_records_nothing(
    client: httpx.AsyncClient, identity: IdentityProvider, outcome: str, avoided: bool
) -> None:
    request_id = await _advised(client, identity)
    response = await _close_out(
        client, identity, request_id, referral_outcome=outcome, referral_avoided=avoided
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert outcome in response.text
    assert (await read(client, identity.practice(), request_id)).json()["status"] == "advice-given"


@pytest.mark.parametrize(
    "answers",
    [
        {"course_of_action": "maybe"},
        {"referral_outcome": "referral-avoided"},
        {"referral_outcome": None, "x": 1},
    ],
)
async def test_answers_outside_the_vocabulary_are_422(
    client: httpx.AsyncClient, identity: IdentityProvider, answers: dict[str, Any]
) -> None:
    request_id = await _advised(client, identity)
    response = await _close_out(client, identity, request_id, **answers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_repeat_that_agrees_or_says_nothing_is_answered_with_the_request_unchanged(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    answers = {"course_of_action": "confirmed-course-of-action", "referral_outcome": "no-benefit"}
    first = await _close_out(client, identity, request_id, **answers)
    assert first.status_code == 200
    for repeat in (answers, {}, {"course_of_action": "confirmed-course-of-action"}):
        again = await _close_out(client, identity, request_id, **repeat)
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        assert again.headers["etag"] == first.headers["etag"]


@pytest.mark.parametrize(
    ("first", "then", "named"),
    [
        (
            {"course_of_action": "confirmed-course-of-action"},
            {"course_of_action": "response-not-useful"},
            "course_of_action confirmed-course-of-action",
        ),
        (
            {"referral_outcome": "other"},
            {"referral_outcome": "no-benefit"},
            "referral_outcome other",
        ),
        # The outcome implies referral_avoided false, which contradicts the true recorded before.
        (
            {"referral_avoided": True},
            {"referral_outcome": "referral-contemplated-still-needed"},
            "referral_avoided true",
        ),
        (
            {"referral_outcome": "referral-contemplated-now-avoided"},
            {"referral_avoided": False},
            "referral_avoided true",
        ),
    ],
)
async def test_a_repeat_that_contradicts_a_recorded_answer_is_409_saying_what_was_recorded(
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    first: dict[str, Any],
    then: dict[str, Any],
    named: str,
) -> None:
    request_id = await _advised(client, identity)
    recorded = (await _close_out(client, identity, request_id, **first)).json()
    response = await _close_out(client, identity, request_id, **then)
    assert response.status_code == 409
    problem = response.json()
    assert named in problem["detail"]
    assert problem["recorded"]["acknowledged_at"] == recorded["acknowledged_at"]
    for name in ("referral_avoided", "course_of_action", "referral_outcome"):
        assert problem["recorded"][name] == recorded[name]
    assert (await read(client, identity.practice(), request_id)).json()["version"] == recorded["version"]


async def test_answers_left_out_may_be_added_later_one_by_one(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    closed = (await _close_out(client, identity, request_id)).json()
    course = await _close_out(client, identity, request_id, course_of_action="none")
    outcome = await _close_out(
        client, identity, request_id, referral_outcome="referral-not-contemplated-not-needed"
    )
    assert course.status_code == outcome.status_code == 200
    final = outcome.json()
    assert final["acknowledged_at"] == closed["acknowledged_at"]
    assert (final["course_of_action"], final["referral_outcome"], final["referral_avoided"]) == (
        "none",
        "referral-not-contemplated-not-needed",
        False,
    )
    assert final["version"] > course.json()["version"] > closed["version"]


async def test_the_close_out_answers_follow_a_mesh_business_acknowledgement(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await _advised(client, identity)
    async with app.state.session_factory() as session, session.begin():
        await record_acknowledgement(
            session,
            advice_request_id=request_id,
            source="mesh",
            referral_avoided=None,
            acknowledged_by="A12345OT001",
        )
    response = await _close_out(
        client, identity, request_id, course_of_action="confirmed-course-of-action", referral_outcome="other"
    )
    assert response.status_code == 200, response.text
    shown = (await read(client, identity.practice(), request_id)).json()
    assert shown["status"] == "closed"
    assert (shown["course_of_action"], shown["referral_outcome"]) == ("confirmed-course-of-action", "other")
    async with app.state.session_factory() as session:
        stored = await session.get(AdviceRequest, request_id)
        assert stored is not None
        assert stored.acknowledgement_source == "mesh"
