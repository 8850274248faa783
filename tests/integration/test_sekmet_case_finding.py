"""A case-finding run over a third-party server's $export (sekmet-fhir) loaded with the demo practice finds
the patients the mock GP's run finds, and every finding's evidence is what the patient's summary, read through
the FHIR R4 adapter from the same server, says.

sekmet's ``Patient/$export`` leaves out the Medications some of the practice's requests name (a Medication is
in no patient's compartment), so the Bulk Data client reads them by ``_id``; the run's medicines must then be
the summary's.

The server runs on 127.0.0.1 in a subprocess with its store in a temporary directory. If it cannot start, the
tier fails under CI (``CI=true``) and is skipped elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from adapters.bulk import BulkDataClient, BulkTiming
from adapters.demo import DEMO_PATIENTS
from app.core.config import Settings
from app.main import create_app
from app.specialties.nephrology.plugin import NEPHROLOGY
from schemas.bulk import BulkExportRequest
from tests.case_finding.case_finding_calls import case_finding_practices, every_finding, run_worker, start
from tests.clinics.clinic_calls import opened
from tests.support.identity import IdentityProvider, bearer
from tests.support.sekmet import demo_resources, load, running_sekmet, transaction

pytestmark = pytest.mark.integration

# The demo practice's records count back from today, as the run and the summaries do.
TODAY = date.today()
FALLING_EGFR = "9990001162"  # Ian Murray: eGFR 62 to 44 within a year, NG203's fall of 25% and a category
UNRECOGNISED_CKD = "9990001928"  # Nadia Rahman: eGFR 53 then 48 over two years with nothing coded
NOT_MONITORED = "9990001936"  # Dennis Hart: CKD G3b coded, the last eGFR twenty months ago
RESISTANT_HYPERTENSION = "9990001170"  # Winston Campbell: five antihypertensive classes, BP 162/94
REQUESTS = ("MedicationRequest", "MedicationStatement")
MEDICINES = (*REQUESTS, "Medication")
TIMING = BulkTiming(request_seconds=30.0, ceiling_seconds=120.0, first_poll_delay=0.1, max_poll_delay=0.5)


@pytest.fixture(scope="module")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's FHIR base URL, holding the demo practice."""
    with running_sekmet(tmp_path_factory.mktemp("sekmet-case-finding")) as base_url:
        load(base_url, transaction(demo_resources(TODAY)))
        yield base_url


@pytest.fixture
async def cf_app(settings: Settings, tmp_path: Path, sekmet: str) -> AsyncIterator[FastAPI]:
    """The app, its practice exporting from and read through sekmet, with every demo patient registered."""
    path = case_finding_practices(
        tmp_path / "practices",
        base_url=sekmet,
        patients=[p.nhs_number for p in DEMO_PATIENTS],
        timeout_seconds=30.0,
    )
    update = {
        "practices_file": path,
        "upstream_timeout_seconds": 30.0,
        "case_finding_run_ceiling_seconds": 120.0,
    }
    application = create_app(settings.model_copy(update=update))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def cf_client(cf_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=cf_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _referenced_medicines(nhs_number: str) -> list[str]:
    """The names of the medicines the patient's requests name only through a separate Medication resource."""
    resources = demo_resources(TODAY)
    patient = next(
        r["id"]
        for r in resources
        if r["resourceType"] == "Patient" and r["identifier"][0]["value"] == nhs_number
    )
    medications = {r["id"]: r["code"]["text"] for r in resources if r["resourceType"] == "Medication"}
    return [
        medications[r["medicationReference"]["reference"].removeprefix("Medication/")]
        for r in resources
        if r["resourceType"] in REQUESTS
        and r["subject"]["reference"] == f"Patient/{patient}"
        and r.get("medicationReference", {}).get("reference", "").startswith("Medication/")
    ]


async def test_a_run_over_the_servers_export_finds_the_demo_patients_with_their_summarys_evidence(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    started = await start(cf_client, consultant)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]

    assert await run_worker(cf_app) == 1

    run = (await cf_client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(consultant))).json()
    assert run["status"] == "done", run
    assert run["patients_scanned"] == len(DEMO_PATIENTS)
    found = {f["nhs_number"]: f for f in await every_finding(cf_client, consultant, run_id)}
    assert run["findings_count"] == len(found)

    criteria = {criterion.code for criterion in NEPHROLOGY.referral_criteria}
    assert any(rule["code"] in criteria for rule in found[FALLING_EGFR]["rules"])
    assert "unrecognised-ckd" in {rule["code"] for rule in found[UNRECOGNISED_CKD]["rules"]}
    assert "ckd-not-monitored" in {rule["code"] for rule in found[NOT_MONITORED]["rules"]}

    # Each finding put on a clinic, so the consultant may read the summary; its met criteria must carry the
    # very evidence the finding's rules do.
    clinic_id = await opened(cf_client, identity.admin(), specialty="nephrology")
    met_by_patient: dict[str, dict[str, str]] = {}
    disagreeing: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for nhs_number, finding in found.items():
        added = await cf_client.post(
            f"/v1/case-finding/findings/{finding['id']}/add-to-clinic",
            json={"clinic_id": clinic_id},
            headers=bearer(consultant),
        )
        assert added.status_code == 200, added.text
        summary = await _summary(cf_client, consultant, nhs_number)
        assert summary["complete"] is True, (nhs_number, summary["warnings"])
        met = {c["code"]: c["evidence"] for c in summary["referral_criteria"] if c["status"] == "met"}
        from_rules = {r["code"]: r["evidence"] for r in finding["rules"] if r["code"] in met}
        if from_rules != met:
            disagreeing[nhs_number] = (from_rules, met)
        met_by_patient[nhs_number] = met

    assert disagreeing == {}
    assert met_by_patient[FALLING_EGFR]

    # A medicine named only through a Medication the export left out is in the finding's evidence as in the
    # summary's: the run read that Medication from the server.
    referenced = _referenced_medicines(RESISTANT_HYPERTENSION)
    assert referenced
    evidence = met_by_patient[RESISTANT_HYPERTENSION]["uncontrolled-hypertension-4-drugs"]
    assert all(name in evidence for name in referenced), (referenced, evidence)


async def _summary(client: httpx.AsyncClient, token: str, nhs_number: str) -> dict[str, Any]:
    response = await client.get(f"/v1/patients/{nhs_number}/summaries/nephrology", headers=bearer(token))
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    return summary


async def test_the_servers_export_leaves_out_the_named_medications_and_the_client_reads_them_by_id(
    sekmet: str,
) -> None:
    named = {
        r["medicationReference"]["reference"].removeprefix("Medication/")
        for r in demo_resources(TODAY, REQUESTS)
        if r.get("medicationReference", {}).get("reference", "").startswith("Medication/")
    }
    assert named
    async with httpx.AsyncClient(timeout=30.0) as http:
        client = BulkDataClient("sekmet bulk", sekmet, http, timing=TIMING)
        async with client.export_batches(BulkExportRequest(("Patient", *MEDICINES))) as batches:
            medications = {
                orjson.loads(line.line)["id"]: line.file_url
                async for batch in batches
                for line in batch
                if line.resource_type == "Medication"
            }

    assert set(medications) == named
    assert set(medications.values()) == {f"{sekmet}/Medication"}
