"""The close-out figures of the advice metrics, and the roll-ups per specialty and per practice, against
values worked out by hand from the seeds below, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import extract, func, select
from sqlmodel import col

from app.advice.models import AdviceRequest
from tests.advice.practices import BOW, BOW_PATIENT, MILE_END, MILE_END_PATIENT
from tests.support.identity import IdentityProvider, bearer

START = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)
AVOIDED = "referral-contemplated-now-avoided"
NOT_NEEDED = "referral-not-contemplated-not-needed"
STILL_NEEDED = "referral-contemplated-still-needed"
INITIATED = "referral-not-contemplated-now-initiated"
CONFIRMED = "confirmed-course-of-action"
NEW = "new-or-additional-course-of-action"
NOT_USEFUL = "response-not-useful"
IMPLIED = {AVOIDED: True, NOT_NEEDED: False, STILL_NEEDED: False, INITIATED: False}


@dataclass(frozen=True)
class Seed:
    specialty: str
    practice_ods: str
    hours_to_advice: float | None
    course_of_action: str | None
    referral_outcome: str | None
    criteria_met: list[str] | None


SEEDS = [
    Seed("nephrology", MILE_END, 2.0, CONFIRMED, AVOIDED, ["acr-70-or-more"]),
    Seed("nephrology", MILE_END, 4.0, NEW, NOT_NEEDED, []),
    Seed("nephrology", MILE_END, 10.0, NOT_USEFUL, STILL_NEEDED, None),
    Seed("nephrology", MILE_END, None, None, None, ["kfre-5y-over-5pct"]),
    Seed("nephrology", BOW, 1.0, CONFIRMED, AVOIDED, ["acr-70-or-more"]),
    Seed("nephrology", BOW, 3.0, "none", "other", []),
    Seed("diabetes", MILE_END, 5.0, CONFIRMED, INITIATED, None),
    Seed("diabetes", MILE_END, 8.0, None, None, []),
]


def _request(index: int, seed: Seed) -> AdviceRequest:
    created = START + timedelta(minutes=7 * index)
    given = created + timedelta(hours=seed.hours_to_advice) if seed.hours_to_advice is not None else None
    closed = seed.course_of_action is not None
    return AdviceRequest(
        nhs_number=BOW_PATIENT if seed.practice_ods == BOW else MILE_END_PATIENT,
        practice_ods=seed.practice_ods,
        specialty=seed.specialty,
        question="?",
        urgency="routine",
        status="closed" if closed else ("advice-given" if given else "awaiting-review"),
        created_by="seed",
        created_at=created,
        updated_at=created,
        advice_given_at=given,
        acknowledged_at=given if closed else None,
        referral_avoided=IMPLIED.get(seed.referral_outcome or ""),
        course_of_action=seed.course_of_action,
        referral_outcome=seed.referral_outcome,
        criteria_met=seed.criteria_met,
    )


@pytest.fixture
async def seeded(app: FastAPI) -> None:
    async with app.state.session_factory() as session, session.begin():
        session.add_all([_request(index, seed) for index, seed in enumerate(SEEDS)])


async def _metrics(client: httpx.AsyncClient, token: str, query: str = "") -> Any:
    response = await client.get(f"/v1/metrics/advice{query}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def _courses(confirmed: int = 0, new: int = 0, not_useful: int = 0, none: int = 0) -> dict[str, int]:
    return {CONFIRMED: confirmed, NEW: new, NOT_USEFUL: not_useful, "none": none}


def _outcomes(
    avoided: int = 0, still: int = 0, not_needed: int = 0, initiated: int = 0, other: int = 0
) -> dict[str, int]:
    return {
        AVOIDED: avoided,
        STILL_NEEDED: still,
        NOT_NEEDED: not_needed,
        INITIATED: initiated,
        "no-benefit": 0,
        "other": other,
    }


def _figures(group: dict[str, Any]) -> dict[str, Any]:
    names = (
        "requests",
        "answered",
        "median_hours_to_advice",
        "p90_hours_to_advice",
        "acknowledgements_with_outcome",
        "referral_avoided_share",
        "resolved_without_visit_share",
        "course_of_action",
        "referral_outcome",
        "criteria",
    )
    return {name: group[name] for name in names}


def _expected(
    requests: int,
    answered: int,
    median: float,
    p90: float,
    acknowledged: int,
    avoided_share: float,
    resolved_share: float,
    courses: dict[str, int],
    outcomes: dict[str, int],
    criteria: tuple[int, int, int],
) -> dict[str, Any]:
    inside, outside, unknown = criteria
    return {
        "requests": requests,
        "answered": answered,
        "median_hours_to_advice": pytest.approx(median),
        "p90_hours_to_advice": pytest.approx(p90),
        "acknowledgements_with_outcome": acknowledged,
        "referral_avoided_share": pytest.approx(avoided_share),
        "resolved_without_visit_share": pytest.approx(resolved_share),
        "course_of_action": courses,
        "referral_outcome": outcomes,
        "criteria": {"inside": inside, "outside": outside, "unknown": unknown},
    }


# Nephrology at Bow: times 1 and 3 hours; one referral avoided of one answer; one of two outcomes resolved.
BOW_NEPHROLOGY = _expected(
    2, 2, 2.0, 2.8, 1, 1.0, 0.5, _courses(confirmed=1, none=1), _outcomes(avoided=1, other=1), (1, 1, 0)
)
# Diabetes at Mile End: times 5 and 8; the one outcome started a referral, so nothing resolved or avoided.
MILE_END_DIABETES = _expected(
    2, 2, 6.5, 7.7, 1, 0.0, 0.0, _courses(confirmed=1), _outcomes(initiated=1), (0, 1, 1)
)


@pytest.mark.usefixtures("seeded")
async def test_close_out_figures_per_specialty_and_practice(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    groups = {
        (g["specialty"], g["practice_ods"]): g for g in (await _metrics(client, identity.admin()))["groups"]
    }
    # Times 2, 4 and 10 hours: median 4, p90 at rank 1.8 = 4 + 0.8 * 6; avoided 1 of 3; resolved 2 of 3.
    assert _figures(groups[("nephrology", MILE_END)]) == _expected(
        4,
        3,
        4.0,
        8.8,
        3,
        1 / 3,
        2 / 3,
        _courses(confirmed=1, new=1, not_useful=1),
        _outcomes(avoided=1, still=1, not_needed=1),
        (2, 1, 1),
    )
    assert _figures(groups[("nephrology", BOW)]) == BOW_NEPHROLOGY
    assert _figures(groups[("diabetes", MILE_END)]) == MILE_END_DIABETES


@pytest.mark.usefixtures("seeded")
async def test_each_specialty_rolls_up_over_its_practices(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    by_specialty = {g["specialty"]: g for g in (await _metrics(client, identity.admin()))["by_specialty"]}
    assert list(by_specialty) == ["diabetes", "nephrology"]
    assert "practice_ods" not in by_specialty["nephrology"]
    # Times 1, 2, 3, 4, 10: median 3, p90 at rank 3.6 = 4 + 0.6 * 6; avoided 2 of 4; resolved 3 of 5.
    assert _figures(by_specialty["nephrology"]) == _expected(
        6,
        5,
        3.0,
        7.6,
        4,
        0.5,
        0.6,
        _courses(confirmed=2, new=1, not_useful=1, none=1),
        _outcomes(avoided=2, still=1, not_needed=1, other=1),
        (3, 2, 1),
    )
    assert _figures(by_specialty["diabetes"]) == MILE_END_DIABETES


@pytest.mark.usefixtures("seeded")
async def test_each_practice_rolls_up_over_its_specialties(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    by_practice = {g["practice_ods"]: g for g in (await _metrics(client, identity.admin()))["by_practice"]}
    assert list(by_practice) == [MILE_END, BOW]
    assert "specialty" not in by_practice[MILE_END]
    # Times 2, 4, 5, 8, 10: median 5, p90 at rank 3.6 = 8 + 0.6 * 2; avoided 1 of 4; resolved 2 of 4.
    assert _figures(by_practice[MILE_END]) == _expected(
        6,
        5,
        5.0,
        9.2,
        4,
        0.25,
        0.5,
        _courses(confirmed=2, new=1, not_useful=1),
        _outcomes(avoided=1, still=1, not_needed=1, initiated=1),
        (2, 2, 2),
    )
    assert _figures(by_practice[BOW]) == BOW_NEPHROLOGY


@pytest.mark.usefixtures("seeded")
async def test_the_roll_ups_cover_only_what_the_caller_may_see(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    bow = await _metrics(client, identity.practice(ods=BOW, sub="bow-system"))
    assert [g["practice_ods"] for g in bow["by_practice"]] == [BOW]
    assert [g["specialty"] for g in bow["by_specialty"]] == ["nephrology"]
    assert _figures(bow["by_specialty"][0]) == BOW_NEPHROLOGY
    consultant = await _metrics(client, identity.consultant(), "?practice=" + MILE_END)
    assert [g["specialty"] for g in consultant["by_specialty"]] == ["nephrology"]
    assert consultant["by_specialty"][0]["requests"] == 4


@pytest.mark.usefixtures("seeded")
async def test_the_p90_is_the_databases_own_percentile_cont_where_it_has_one(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    nephrology = {g["specialty"]: g for g in (await _metrics(client, identity.admin()))["by_specialty"]}[
        "nephrology"
    ]
    assert nephrology["p90_hours_to_advice"] == pytest.approx(7.6)
    if app.state.settings.is_sqlite:
        return  # SQLite has no percentile_cont: the hand-worked value above is the check.
    hours = extract("epoch", col(AdviceRequest.advice_given_at) - col(AdviceRequest.created_at)) / 3600
    query = select(func.percentile_cont(0.9).within_group(hours)).where(
        col(AdviceRequest.specialty) == "nephrology", col(AdviceRequest.advice_given_at).is_not(None)
    )
    async with app.state.session_factory() as session:
        assert float((await session.execute(query)).scalar_one()) == pytest.approx(7.6)


async def test_with_no_close_outs_the_shares_are_null_and_every_answer_counted_zero(
    client: httpx.AsyncClient, identity: IdentityProvider, app: FastAPI
) -> None:
    async with app.state.session_factory() as session, session.begin():
        session.add(_request(0, Seed("nephrology", MILE_END, None, None, None, None)))
    [group] = (await _metrics(client, identity.admin()))["groups"]
    assert group["resolved_without_visit_share"] is None
    assert set(group["course_of_action"].values()) == set(group["referral_outcome"].values()) == {0}
    assert group["criteria"] == {"inside": 0, "outside": 0, "unknown": 1}
