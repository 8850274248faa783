"""The heart-failure summary through the route, on the demo practice (FHIR R4 against the mock GP)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.demo import demo_patients_of
from app.specialties.heart_failure.plugin import HEART_FAILURE
from tests.support.identity import IdentityProvider, bearer

BREAK_GLASS = {"X-Break-Glass-Reason": "urgent review requested by phone"}


async def _summary(client: httpx.AsyncClient, identity: IdentityProvider, story: str) -> dict[str, Any]:
    patient = next(p for p in demo_patients_of("heart-failure") if p.story.startswith(story))
    headers = {**bearer(identity.consultant(specialty="heart-failure")), **BREAK_GLASS}
    response = await client.get(f"/v1/patients/{patient.nhs_number}/summaries/heart-failure", headers=headers)
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    assert summary["specialty"] == "heart-failure"
    return summary


def _met(summary: dict[str, Any]) -> list[str]:
    return [c["code"] for c in summary["referral_criteria"] if c["status"] == "met"]


async def test_heart_failure_is_listed_with_its_criteria_and_actions(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.get("/v1/specialties", headers=bearer(identity.practice()))
    listed = next(s for s in response.json() if s["code"] == "heart-failure")
    assert [c["code"] for c in listed["referral_criteria"]] == [
        "ntprobnp-over-2000-2-week",
        "ntprobnp-400-2000-6-week",
        "ntprobnp-under-400",
        "hf-drugs-without-diagnosis",
        "hfref-gdmt-gaps",
    ]
    assert {"refer-2-week-hf", "attach-fbc-ue"} <= {a["code"] for a in listed["follow_up_actions"]}


async def test_uk_and_us_coded_twins_give_identical_numbers(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    uk = await _summary(client, identity, "NT-proBNP rising to 2600 ng/L")
    us = await _summary(client, identity, "US-coded twin")
    for summary in (uk, us):
        assert summary["latest"]["ntprobnp"]["value"] == 2600
        assert summary["latest"]["ntprobnp"]["unit"] == "ng/L"
        assert _met(summary) == ["ntprobnp-over-2000-2-week"]
        assert summary["outcome"] == "urgent-2-weeks"
    assert {p["unit"] for p in us["series"]["ntprobnp"]} == {"ng/L"}


@pytest.mark.parametrize(
    ("story", "met", "outcome"),
    [
        ("NT-proBNP exactly 2000 ng/L", ["ntprobnp-400-2000-6-week"], "routine-6-weeks"),
        ("NT-proBNP 236 pmol/L", ["ntprobnp-400-2000-6-week"], "routine-6-weeks"),
        ("NT-proBNP 310 ng/L", ["ntprobnp-under-400"], "hf-unlikely"),
        ("Sacubitril/valsartan issued", ["hf-drugs-without-diagnosis"], "insufficient-data"),
        ("Digoxin for atrial fibrillation", [], "insufficient-data"),
        ("HFrEF on ramipril and bisoprolol", ["hfref-gdmt-gaps"], "known-hf"),
        ("HFrEF on all four", [], "known-hf"),
        ("Known heart failure", [], "known-hf"),
    ],
)
async def test_each_story_meets_its_criterion(
    client: httpx.AsyncClient, identity: IdentityProvider, story: str, met: list[str], outcome: str
) -> None:
    summary = await _summary(client, identity, story)
    assert _met(summary) == met
    assert summary["outcome"] == outcome


async def test_236_pmol_per_l_is_shown_in_ng_per_l_and_banded_on_nices_pmol_figure(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    summary = await _summary(client, identity, "NT-proBNP 236 pmol/L")
    assert summary["latest"]["ntprobnp"]["value"] == pytest.approx(1995.85, abs=0.01)
    assert "236 pmol/L (1995.85 ng/L)" in summary["referral_criteria"][1]["evidence"]


async def test_confounders_are_named_under_400(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    summary = await _summary(client, identity, "NT-proBNP 310 ng/L")
    assert summary["confounders"] == [
        "obesity coded",
        "Furosemide 40mg tablets (diuretic)",
        "Bisoprolol 2.5mg tablets (beta-blocker)",
    ]


async def test_a_referral_without_fbc_and_ue_is_flagged(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    summary = await _summary(client, identity, "NT-proBNP 900 ng/L with no FBC")
    assert summary["outcome"] == "routine-6-weeks"
    assert summary["missing_attachments"] == [
        "no FBC in the last 6 months: the referral needs one",
        "no U&E in the last 6 months: the referral needs one",
    ]
    assert set(summary["missing_attachments"]) <= set(summary["warnings"])


async def test_a_result_without_a_unit_is_refused_with_a_warning(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    summary = await _summary(client, identity, "NT-proBNP sent without a unit")
    assert summary["latest"]["ntprobnp"] is None
    assert {c["status"] for c in summary["referral_criteria"][:3]} == {"insufficient-data"}
    assert any("ntprobnp" in warning and "no unit" in warning for warning in summary["warnings"])


async def test_bnp_is_kept_apart_as_legacy(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    summary = await _summary(client, identity, "Legacy BNP 450")
    assert summary["latest"]["bnp"]["value"] == 450
    assert summary["latest"]["ntprobnp"] is None
    assert "legacy BNP 450 ng/L" in summary["referral_criteria"][0]["evidence"]


def test_the_chart_shades_2000_as_six_weeks_as_the_rule_does() -> None:
    bands = HEART_FAILURE.thresholds["ntprobnp"]
    shading = next(b for b in bands if (b.low or 0) <= 2000 and (b.high is None or b.high > 2000))
    assert shading.label == "6 weeks"
    assert (
        next(b for b in bands if b.low is not None and b.low <= 2000.01 and b.high is None).label == "2 weeks"
    )
