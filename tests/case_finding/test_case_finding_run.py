"""A run over the mock GP's $export of the demo practice finds its patients, each with the evidence their
summary gives, and a finding put on a clinic lets the consultant read that summary as case-finding access."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS
from app.specialties.nephrology.plugin import NEPHROLOGY
from tests.case_finding.case_finding_calls import every_finding, run_worker, start
from tests.clinics.clinic_calls import opened
from tests.support.identity import IdentityProvider, bearer

FALLING_EGFR = "9990001162"  # eGFR 62 to 44 within a year: NG203's fall of 25% with a change of category


async def test_a_run_scans_every_patient_and_finds_met_criteria_with_the_summarys_evidence(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    started = await start(cf_client, consultant)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert started.headers["location"] == f"/v1/case-finding/runs/{run_id}"
    assert started.json()["status"] == "queued"

    assert await run_worker(cf_app) == 1

    run = (await cf_client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(consultant))).json()
    assert run["status"] == "done", run
    assert run["patients_scanned"] == len(DEMO_PATIENTS)
    found = await every_finding(cf_client, consultant, run_id)
    assert run["findings_count"] == len(found) > 0
    assert len({f["nhs_number"] for f in found}) == len(found)

    criteria = {criterion.code for criterion in NEPHROLOGY.referral_criteria}
    # A finding resting on a met referral criterion (the falling eGFR), whose evidence the summary must repeat
    # word for word.
    finding = next(f for f in found if f["nhs_number"] == FALLING_EGFR)
    assert any(rule["code"] in criteria for rule in finding["rules"])
    clinic_id = await opened(cf_client, identity.admin(), specialty="nephrology")
    added = await cf_client.post(
        f"/v1/case-finding/findings/{finding['id']}/add-to-clinic",
        json={"clinic_id": clinic_id},
        headers=bearer(consultant),
    )
    assert added.status_code == 200, added.text
    assert added.json()["status"] == "added-to-clinic"

    summary = await cf_client.get(
        f"/v1/patients/{finding['nhs_number']}/summaries/nephrology", headers=bearer(consultant)
    )
    assert summary.status_code == 200, summary.text
    met = {c["code"]: c["evidence"] for c in summary.json()["referral_criteria"] if c["status"] == "met"}
    assert met
    assert {r["code"]: r["evidence"] for r in finding["rules"] if r["code"] in met} == met

    trail = await cf_client.get(
        "/v1/audit", params={"nhs_number": finding["nhs_number"]}, headers=bearer(identity.admin())
    )
    reads = [e for e in trail.json()["events"] if e["purpose"].startswith("read a specialty summary")]
    assert [e["access_basis"] for e in reads] == ["case-finding"]
    opened_events = [e for e in trail.json()["events"] if e["purpose"] == "case finding raised a finding"]
    assert len(opened_events) == 1


async def test_every_finding_resting_on_met_criteria_repeats_the_summarys_evidence(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    run_id = (await start(cf_client, consultant)).json()["id"]
    assert await run_worker(cf_app) == 1
    found = await every_finding(cf_client, consultant, run_id)
    clinic_id = await opened(cf_client, identity.admin(), specialty="nephrology")
    disagreeing = []
    for finding in found:
        added = await cf_client.post(
            f"/v1/case-finding/findings/{finding['id']}/add-to-clinic",
            json={"clinic_id": clinic_id},
            headers=bearer(consultant),
        )
        assert added.status_code == 200, added.text
        summary = await cf_client.get(
            f"/v1/patients/{finding['nhs_number']}/summaries/nephrology", headers=bearer(consultant)
        )
        met = {c["code"]: c["evidence"] for c in summary.json()["referral_criteria"] if c["status"] == "met"}
        if {r["code"]: r["evidence"] for r in finding["rules"] if r["code"] in met} != met:
            disagreeing.append(finding["nhs_number"])

    assert disagreeing == []
