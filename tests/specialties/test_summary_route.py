"""GET /v1/patients/{nhs}/summaries/{specialty} on the demo practice: access, audit and the summary itself."""

from __future__ import annotations

import httpx
import pytest

from adapters.demo import DEMO_PATIENTS, demo_patients_of
from tests.support.identity import IdentityProvider, bearer

BREAK_GLASS = {"X-Break-Glass-Reason": "urgent review requested by phone"}


def _story(fragment: str) -> str:
    return next(p.nhs_number for p in DEMO_PATIENTS if fragment in p.story)


def _url(nhs_number: str, specialty: str = "nephrology") -> str:
    return f"/v1/patients/{nhs_number}/summaries/{specialty}"


async def _summary(client: httpx.AsyncClient, identity: IdentityProvider, nhs_number: str) -> httpx.Response:
    return await client.get(_url(nhs_number), headers={**bearer(identity.consultant()), **BREAK_GLASS})


async def test_the_specialties_are_listed(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    response = await client.get("/v1/specialties", headers=bearer(identity.practice()))
    nephrology = next(s for s in response.json() if s["code"] == "nephrology")
    assert {c["code"] for c in nephrology["referral_criteria"]} >= {"kfre-5y-over-5pct", "acr-70-or-more"}
    assert "repeat-ue-acr-3-months" in {a["code"] for a in nephrology["follow_up_actions"]}


async def test_a_consultant_without_a_relationship_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.get(_url(DEMO_PATIENTS[0].nhs_number), headers=bearer(identity.consultant()))
    assert response.status_code == 403
    assert "break-glass" in response.json()["detail"]


@pytest.mark.parametrize(
    "token",
    [
        lambda identity: identity.consultant(specialty="cardiology"),
        lambda identity: identity.practice(),
        lambda identity: identity.admin(),
    ],
    ids=["other-specialty", "practice", "admin"],
)
async def test_only_consultants_of_the_specialty_may_read_it(
    client: httpx.AsyncClient, identity: IdentityProvider, token: object
) -> None:
    assert callable(token)
    headers = {**bearer(token(identity)), **BREAK_GLASS}
    response = await client.get(_url(DEMO_PATIENTS[0].nhs_number), headers=headers)
    assert response.status_code == 403


async def test_break_glass_reads_the_summary_and_is_flagged_in_the_audit(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    nhs_number = _story("Progressing G3b with diabetes")
    response = await _summary(client, identity, nhs_number)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["specialty"] == "nephrology"
    assert summary["complete"] is True
    assert summary["patient"]["nhs_number"] == nhs_number
    assert summary["ckd"]["g_category"] == "G3b"
    assert summary["egfr"]["slope_per_year"] < 0

    trail = await client.get(f"/v1/audit?nhs_number={nhs_number}", headers=bearer(identity.admin()))
    event = trail.json()["events"][-1]
    assert event["purpose"] == "read a specialty summary (break glass)"
    assert event["break_glass_reason"] == BREAK_GLASS["X-Break-Glass-Reason"]
    assert event["outcome"] == "success"


async def test_an_invalid_nhs_number_is_422(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    response = await client.get(_url("9434765918"), headers={**bearer(identity.consultant()), **BREAK_GLASS})
    assert response.status_code == 422


async def test_a_patient_no_practice_knows_is_404(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.get(_url("9434765919"), headers={**bearer(identity.consultant()), **BREAK_GLASS})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_specialty_is_404(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    token = identity.consultant(specialty="dermatology")
    response = await client.get(
        _url(DEMO_PATIENTS[0].nhs_number, "dermatology"), headers={**bearer(token), **BREAK_GLASS}
    )
    assert response.status_code == 404


async def test_every_demo_patient_has_a_summary(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    renal_patients = demo_patients_of("nephrology")
    assert len(renal_patients) >= 40
    for patient in renal_patients:
        response = await _summary(client, identity, patient.nhs_number)
        assert response.status_code == 200, (patient.story, response.text)
        assert response.json()["egfr"]["series"], patient.story


@pytest.mark.parametrize(
    ("story", "criterion"),
    [
        ("Heavy proteinuria (ACR 85)", "acr-70-or-more"),
        ("ACR 40 with haematuria", "acr-over-30-with-haematuria"),
        ("Rapid decline: eGFR 78 to 40", "egfr-decline-15-per-year"),
        ("eGFR fell over 25% within a year", "egfr-decline-25pct"),
        ("Resistant hypertension", "uncontrolled-hypertension-4-drugs"),
        ("Polycystic kidney disease", "rare-or-genetic-cause"),
        ("Renal artery stenosis", "renal-artery-stenosis"),
        ("G5 approaching kidney failure", "kfre-5y-over-5pct"),
    ],
)
async def test_the_demo_stories_meet_their_criteria(
    client: httpx.AsyncClient, identity: IdentityProvider, story: str, criterion: str
) -> None:
    summary = (await _summary(client, identity, _story(story))).json()
    statuses = {c["code"]: c["status"] for c in summary["referral_criteria"]}
    assert statuses[criterion] == "met", summary["referral_criteria"]


async def test_withheld_and_entered_in_error_items_are_reported_not_shown(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    withheld = (await _summary(client, identity, _story("confidential diagnosis"))).json()
    assert any("confidential" in warning and "withheld" in warning for warning in withheld["warnings"])
    in_error = (await _summary(client, identity, _story("entered in error"))).json()
    assert all(point["value"] > 6 for point in in_error["egfr"]["series"])


async def test_an_aki_episode_is_reported(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    summary = (await _summary(client, identity, _story("AKI stage 2 eight months ago"))).json()
    assert [episode["stage"] for episode in summary["aki_episodes"]] == [2]
