"""An EHR opens a patient: a renal card for the falling eGFR, none for stable kidneys, and the card says what
the summary says. Discovery derives one service per specialty; prefetch, the EHR's FHIR server, or 412."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.demo.practice import DEMO_PATIENTS
from app.cds_hooks.cards import markdown_text
from tests.cds_hooks.ehr import BASE_URL, Ehr
from tests.support.identity import IdentityProvider, bearer

RENAL = "/cds-services/renal-advice"


def _nhs_number(name: str) -> str:
    return next(patient.nhs_number for patient in DEMO_PATIENTS if patient.name == name)


FALLING_EGFR = _nhs_number("Ian Murray")  # eGFR fell over 25% within a year, G2 to G3b
STABLE = _nhs_number("Amelia Hughes")  # normal kidney function


async def _discovered(client: httpx.AsyncClient, ehr: Ehr) -> dict[str, Any]:
    response = await client.get("/cds-services", headers=ehr.headers("/cds-services"))
    assert response.status_code == 200, response.text
    return {service["id"]: service for service in response.json()["services"]}


async def _call(client: httpx.AsyncClient, ehr: Ehr, path: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(path, json=body, headers=ehr.headers(path))


async def _renal_call_with_prefetch(client: httpx.AsyncClient, ehr: Ehr, nhs_number: str) -> httpx.Response:
    templates = (await _discovered(client, ehr))["renal-advice"]["prefetch"]
    patient_id = ehr.patient_id(nhs_number)
    return await _call(
        client, ehr, RENAL, ehr.request(patient_id, prefetch=ehr.prefetch(templates, patient_id))
    )


async def test_discovery_offers_one_patient_view_service_per_specialty(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    services = await _discovered(ehr_client, ehr)
    assert set(services) == {"renal-advice", "diabetes-advice", "heart-failure-advice", "lipids-advice"}
    renal = services["renal-advice"]
    assert renal["hook"] == "patient-view"
    assert renal["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    egfr = renal["prefetch"]["egfr"]
    assert egfr.startswith("Observation?patient={{context.patientId}}&code=")
    assert "http://snomed.info/sct|1011481000000105" in egfr
    assert "http://loinc.org|33914-3" in egfr
    assert "_sort=-date" in egfr
    assert "sort:desc" not in egfr
    assert {"conditions", "medications"} <= set(renal["prefetch"])
    assert "hba1c" in services["diabetes-advice"]["prefetch"]


async def test_a_falling_egfr_gets_a_renal_card_that_agrees_with_the_summary(
    ehr_client: httpx.AsyncClient, ehr: Ehr, identity: IdentityProvider
) -> None:
    response = await _renal_call_with_prefetch(ehr_client, ehr, FALLING_EGFR)

    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    summary_response = await ehr_client.get(
        f"/v1/patients/{FALLING_EGFR}/summaries/nephrology",
        headers={**bearer(identity.consultant()), "X-Break-Glass-Reason": "checking the card against it"},
    )
    assert summary_response.status_code == 200, summary_response.text
    met = [c for c in summary_response.json()["referral_criteria"] if c["status"] == "met"]
    assert met, "the story is of a met criterion"
    for criterion in met:
        assert f"`{criterion['code']}`" in card["detail"]
        assert markdown_text(criterion["evidence"]) in card["detail"]
    assert card["indicator"] == "warning"
    assert len(card["summary"]) < 140
    assert "consider renal advice" in card["summary"]
    assert card["source"]["topic"]["code"] == "nephrology"
    assert card["source"]["label"]
    assert card["selectionBehavior"] == "at-most-one"
    [suggestion] = card["suggestions"]
    assert suggestion["label"] == "Ask for renal advice"
    assert suggestion["actions"][0]["resource"]["resourceType"] == "ServiceRequest"
    reasons = {reason["code"]: reason["display"] for reason in card["overrideReasons"]}
    assert "already-under-specialty" in reasons
    assert "acute-illness-will-repeat" in reasons
    ask, summary_link = card["links"]
    assert {ask["type"], summary_link["type"]} == {"absolute"}
    assert ask["label"] == "Ask the renal team for advice"
    assert ask["url"] == (
        f"{BASE_URL}/practices/A12345/advice-requests/new?nhs_number={FALLING_EGFR}&specialty=nephrology"
    )
    assert summary_link["url"] == f"{BASE_URL}/v1/patients/{FALLING_EGFR}/summaries/nephrology"


async def test_stable_kidneys_get_no_card(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    response = await _renal_call_with_prefetch(ehr_client, ehr, STABLE)

    assert response.status_code == 200, response.text
    assert response.json()["cards"] == []


async def test_without_prefetch_the_record_is_read_from_the_allowed_fhir_server(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    with_prefetch = await _renal_call_with_prefetch(ehr_client, ehr, FALLING_EGFR)
    patient_id = ehr.patient_id(FALLING_EGFR)

    fetched = await _call(ehr_client, ehr, RENAL, ehr.request(patient_id, fhir_server=ehr.fhir_base))

    assert fetched.status_code == 200, fetched.text
    [card] = fetched.json()["cards"]
    [prefetched_card] = with_prefetch.json()["cards"]
    assert card["detail"] == prefetched_card["detail"]
    assert card["uuid"] != prefetched_card["uuid"]


async def test_partial_prefetch_is_completed_from_the_fhir_server(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    templates = (await _discovered(ehr_client, ehr))["renal-advice"]["prefetch"]
    patient_id = ehr.patient_id(FALLING_EGFR)
    complete = ehr.prefetch(templates, patient_id)
    partial = {key: value for key, value in complete.items() if key not in ("egfr", "creatinine")}

    with_complete = await _call(ehr_client, ehr, RENAL, ehr.request(patient_id, prefetch=complete))
    with_partial = await _call(
        ehr_client, ehr, RENAL, ehr.request(patient_id, prefetch=partial, fhir_server=ehr.fhir_base)
    )

    assert with_partial.status_code == 200, with_partial.text
    assert with_partial.json()["cards"][0]["detail"] == with_complete.json()["cards"][0]["detail"]


async def test_partial_prefetch_without_a_fhir_server_is_412(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    templates = (await _discovered(ehr_client, ehr))["renal-advice"]["prefetch"]
    patient_id = ehr.patient_id(FALLING_EGFR)
    partial = {k: v for k, v in ehr.prefetch(templates, patient_id).items() if k != "egfr"}

    response = await _call(ehr_client, ehr, RENAL, ehr.request(patient_id, prefetch=partial))

    assert response.status_code == 412
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "egfr" in response.json()["detail"]


async def test_neither_prefetch_nor_fhir_server_is_412(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    response = await _call(ehr_client, ehr, RENAL, ehr.request("any-patient"))

    assert response.status_code == 412


async def test_a_fhir_server_off_the_allow_list_is_never_read(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    patient_id = ehr.patient_id(FALLING_EGFR)

    response = await _call(
        ehr_client, ehr, RENAL, ehr.request(patient_id, fhir_server="http://169.254.169.254/latest")
    )

    assert response.status_code == 412
    assert "allow-list" in response.json()["detail"]


async def test_a_null_prefetch_key_means_no_data_not_missing(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    templates = (await _discovered(ehr_client, ehr))["renal-advice"]["prefetch"]
    patient_id = ehr.patient_id(STABLE)
    prefetch = {key: None for key in templates} | {"patient": ehr.prefetch(templates, patient_id)["patient"]}

    response = await _call(ehr_client, ehr, RENAL, ehr.request(patient_id, prefetch=prefetch))

    assert response.status_code == 200, response.text
    assert response.json()["cards"] == []


async def test_an_unknown_service_is_404(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    path = "/cds-services/hepatology-advice"
    response = await _call(ehr_client, ehr, path, ehr.request("p1", prefetch={}))

    assert response.status_code == 404


async def test_each_call_is_audited_as_the_practice_system_through_cds_hooks(
    ehr_client: httpx.AsyncClient, ehr: Ehr, identity: IdentityProvider
) -> None:
    await _renal_call_with_prefetch(ehr_client, ehr, FALLING_EGFR)

    audit = await ehr_client.get(f"/v1/audit?nhs_number={FALLING_EGFR}", headers=bearer(identity.admin()))

    assert audit.status_code == 200, audit.text
    events = [e for e in audit.json()["events"] if e["access_basis"] == "cds-hooks"]
    assert events, audit.json()
    event = events[0]
    assert event["actor"] == "mile-end-ehr"
    assert event["role"] == "gp-system"
    assert event["organisation"] == "A12345"
    assert event["outcome"] == "success"
