"""The diabetes demo clinic through the summary route: every criterion is met by one of its patients."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.demo import DEMO_PATIENTS, demo_patients_of
from app.specialties.diabetes.definitions import DIABETES_CRITERIA
from tests.support.identity import IdentityProvider, bearer

BREAK_GLASS = {"X-Break-Glass-Reason": "demo clinic review"}


async def _summary(client: httpx.AsyncClient, identity: IdentityProvider, nhs_number: str) -> dict[str, Any]:
    response = await client.get(
        f"/v1/patients/{nhs_number}/summaries/diabetes",
        headers={**bearer(identity.consultant(specialty="diabetes")), **BREAK_GLASS},
    )
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    return summary


def _story(fragment: str) -> str:
    return next(p.nhs_number for p in DEMO_PATIENTS if fragment in p.story)


async def test_diabetes_is_listed_with_its_criteria_and_actions(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.get("/v1/specialties", headers=bearer(identity.practice()))
    diabetes = next(s for s in response.json() if s["code"] == "diabetes")
    assert [c["code"] for c in diabetes["referral_criteria"]] == [c.code for c in DIABETES_CRITERIA]
    assert {"repeat-hba1c-3-months", "ndh-annual-test"} <= {a["code"] for a in diabetes["follow_up_actions"]}


async def test_every_criterion_is_met_by_a_patient_of_the_demo_clinic(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    patients = demo_patients_of("diabetes")
    assert len(patients) >= 10
    met: set[str] = set()
    for patient in patients:
        summary = await _summary(client, identity, patient.nhs_number)
        assert summary["specialty"] == "diabetes"
        met |= {c["code"] for c in summary["referral_criteria"] if c["status"] == "met"}
    assert met == {c.code for c in DIABETES_CRITERIA}


async def test_the_us_coded_story_reads_its_percent_as_mmol_mol(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    summary = await _summary(client, identity, _story("US-coded: HbA1c 8.2%"))
    assert summary["latest"]["hba1c"]["value"] == 66.0  # 8.2 % as the laboratory reports it
    assert summary["glycaemic_outcome"] == "intensify"
    assert summary["hba1c_target"] == 53
    assert summary["glucose_lowering_classes"] == ["metformin", "sulfonylurea"]


async def test_a_diabetes_consultant_cannot_read_the_renal_summary(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await client.get(
        f"/v1/patients/{_story('HbA1c 52 on metformin')}/summaries/nephrology",
        headers={**bearer(identity.consultant(specialty="diabetes")), **BREAK_GLASS},
    )
    assert response.status_code == 403
