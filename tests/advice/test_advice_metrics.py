"""Advice metrics over known requests: exact medians and 90th percentiles, shares, and who sees what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.advice.metrics import percentile_cont
from app.advice.models import AdviceRequest, AdviceResponse
from tests.advice.practices import BOW, BOW_PATIENT, MILE_END, MILE_END_PATIENT
from tests.support.identity import IdentityProvider, bearer

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADVICE_ONLY = ("return-with-advice", "advice-only")
REFER_IF_NEEDED = ("return-with-advice", "advice-then-refer-if-required")
CONVERTED = ("converted-to-referral", "referral-recommended")


@dataclass(frozen=True)
class Seed:
    specialty: str
    practice_ods: str
    hours_to_advice: float | None = None
    answers: tuple[tuple[str, str], ...] = ()
    referral_avoided: bool | None = None


def _mile_end_nephrology() -> list[Seed]:
    answers = [ADVICE_ONLY] * 6 + [REFER_IF_NEEDED] * 2 + [CONVERTED] * 3
    avoided: list[bool | None] = [True, True, True, True, False] + [None] * 6
    seeds = [
        Seed("nephrology", MILE_END, float(hours), (answer,), avoided[hours - 1])
        for hours, answer in zip(range(1, 12), answers, strict=True)
    ]
    # Advice re-issued: only the latest answer counts towards "advice only".
    seeds[6] = Seed("nephrology", MILE_END, 7.0, (ADVICE_ONLY, REFER_IF_NEEDED))
    return [*seeds, Seed("nephrology", MILE_END)]


SEEDS = [
    *_mile_end_nephrology(),
    *(Seed("nephrology", BOW, hours, (ADVICE_ONLY,)) for hours in (5.0, 1.0, 3.0, 2.0)),
    Seed("cardiology", MILE_END),
]


def _status(seed: Seed) -> str:
    if not seed.answers:
        return "awaiting-review"
    if seed.answers[-1] == CONVERTED:
        return "converted-to-referral"
    return "closed" if seed.referral_avoided is not None else "advice-given"


def _rows(index: int, seed: Seed) -> list[Any]:
    created = START + timedelta(minutes=index)
    given = created + timedelta(hours=seed.hours_to_advice) if seed.hours_to_advice is not None else None
    request = AdviceRequest(
        nhs_number=BOW_PATIENT if seed.practice_ods == BOW else MILE_END_PATIENT,
        practice_ods=seed.practice_ods,
        specialty=seed.specialty,
        question="?",
        urgency="routine",
        status=_status(seed),
        created_by="seed",
        created_at=created,
        updated_at=created,
        advice_given_at=given,
        referral_avoided=seed.referral_avoided,
    )
    responses = [
        AdviceResponse(
            advice_request_id=request.id,
            outcome=outcome,
            recommendation=recommendation,
            advice="…",
            consultant="dr-lee",
            message_id=f"{index:016d}{number:016d}",
            message_version=number + 1,
            created_at=given or created,
        )
        for number, (outcome, recommendation) in enumerate(seed.answers)
    ]
    return [request, *responses]


@pytest.fixture
async def seeded(app: FastAPI) -> None:
    async with app.state.session_factory() as session, session.begin():
        for index, seed in enumerate(SEEDS):
            request, *responses = _rows(index, seed)
            session.add(request)
            await session.flush()
            session.add_all(responses)


async def _groups(client: httpx.AsyncClient, token: str, query: str = "") -> dict[tuple[str, str], Any]:
    response = await client.get(f"/v1/metrics/advice{query}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return {(group["specialty"], group["practice_ods"]): group for group in response.json()["groups"]}


@pytest.mark.usefixtures("seeded")
async def test_time_to_advice_and_outcome_shares_per_specialty_and_practice(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    groups = await _groups(client, identity.admin())
    assert list(groups) == [("cardiology", MILE_END), ("nephrology", MILE_END), ("nephrology", BOW)]
    mile_end = groups[("nephrology", MILE_END)]
    assert mile_end["requests"] == 12
    assert mile_end["answered"] == 11
    assert mile_end["median_hours_to_advice"] == 6.0
    assert mile_end["p90_hours_to_advice"] == 10.0
    assert mile_end["advice_only_share"] == pytest.approx(6 / 11)
    assert mile_end["converted_to_referral_share"] == pytest.approx(3 / 11)
    assert mile_end["acknowledgements_with_outcome"] == 5
    assert mile_end["referral_avoided_share"] == pytest.approx(0.8)


@pytest.mark.usefixtures("seeded")
async def test_percentiles_interpolate_between_ranks(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    bow = (await _groups(client, identity.admin()))[("nephrology", BOW)]
    assert bow["median_hours_to_advice"] == pytest.approx(2.5)
    assert bow["p90_hours_to_advice"] == pytest.approx(4.4)
    assert bow["advice_only_share"] == 1.0
    assert bow["referral_avoided_share"] is None


@pytest.mark.usefixtures("seeded")
async def test_a_group_with_nothing_answered_has_no_times_or_shares(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    cardiology = (await _groups(client, identity.admin()))[("cardiology", MILE_END)]
    assert cardiology["requests"] == 1
    assert cardiology["median_hours_to_advice"] is None
    assert cardiology["advice_only_share"] is None
    assert cardiology["converted_to_referral_share"] is None


@pytest.mark.usefixtures("seeded")
async def test_each_caller_sees_the_metrics_of_what_they_may_see(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    assert set(await _groups(client, identity.practice(ods=BOW))) == {("nephrology", BOW)}
    assert set(await _groups(client, identity.practice(ods=MILE_END))) == {
        ("cardiology", MILE_END),
        ("nephrology", MILE_END),
    }
    assert set(await _groups(client, identity.consultant())) == {
        ("nephrology", MILE_END),
        ("nephrology", BOW),
    }
    assert await _groups(client, identity.practice(ods=BOW), f"?practice={MILE_END}") == {}


@pytest.mark.usefixtures("seeded")
async def test_the_metrics_filter_by_specialty_and_practice(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    assert set(await _groups(client, identity.admin(), f"?specialty=nephrology&practice={BOW}")) == {
        ("nephrology", BOW)
    }
    response = await client.get("/v1/metrics/advice?specialty=astrology", headers=bearer(identity.admin()))
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([], 0.5, None), ([7.0], 0.9, 7.0), ([1.0, 2.0], 0.5, 1.5), ([4.0, 1.0, 3.0, 2.0], 0.9, 3.7)],
)
def test_the_percentile_of_small_samples(
    values: list[float], fraction: float, expected: float | None
) -> None:
    assert percentile_cont(values, fraction) == pytest.approx(expected)
