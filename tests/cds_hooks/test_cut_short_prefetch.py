"""A prefetched search Bundle the EHR paged anyway (a next link, or a total beyond its entries) is part of
the record: that key is read afresh from the EHR's FHIR server, or the call is 412, never a card from part."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.demo.practice import DEMO_PATIENTS
from app.cds_hooks.prefetch import is_cut_short
from tests.cds_hooks.ehr import Ehr

RENAL = "/cds-services/renal-advice"
FALLING_EGFR = next(patient.nhs_number for patient in DEMO_PATIENTS if patient.name == "Ian Murray")
# The kidney results: the card rests on their history, which the first page alone does not hold.
HISTORIES = ("egfr", "creatinine")


def _bundle(*entries: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": list(entries), **fields}


def _match(resource_type: str = "Observation") -> dict[str, Any]:
    return {"resource": {"resourceType": resource_type}, "search": {"mode": "match"}}


def _first_page(bundle: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return _bundle(*bundle["entry"][:1], **fields)


NEXT = {"link": [{"relation": "self", "url": "x"}, {"relation": "next", "url": "https://ehr.test/p2"}]}


def test_a_next_link_cuts_a_bundle_short() -> None:
    assert is_cut_short(_bundle(_match(), **NEXT))


def test_a_total_beyond_the_matches_cuts_a_bundle_short() -> None:
    assert is_cut_short(_bundle(_match(), total=2))


def test_included_resources_do_not_count_against_the_total() -> None:
    included = {"resource": {"resourceType": "Medication"}, "search": {"mode": "include"}}

    assert is_cut_short(_bundle(_match("MedicationRequest"), included, total=2))
    assert not is_cut_short(_bundle(_match("MedicationRequest"), included, total=1))


def test_a_whole_bundle_or_a_single_resource_is_not_cut_short() -> None:
    assert not is_cut_short(_bundle(_match(), _match(), total=2))
    assert not is_cut_short(_bundle(_match(), link=[{"relation": "self", "url": "x"}]))
    assert not is_cut_short(_bundle())
    assert not is_cut_short({"resourceType": "Patient", "id": "p", "total": 5})
    assert not is_cut_short(None)


async def _call(client: httpx.AsyncClient, ehr: Ehr, body: dict[str, Any]) -> httpx.Response:
    return await client.post(RENAL, json=body, headers=ehr.headers(RENAL))


async def _complete_prefetch(client: httpx.AsyncClient, ehr: Ehr, patient_id: str) -> dict[str, Any]:
    discovery = await client.get("/cds-services", headers=ehr.headers("/cds-services"))
    [templates] = [s["prefetch"] for s in discovery.json()["services"] if s["id"] == "renal-advice"]
    return ehr.prefetch(templates, patient_id)


def _paged(complete: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**complete, **{key: _first_page(complete[key], **fields) for key in HISTORIES}}


async def test_a_paged_prefetch_is_read_again_from_the_fhir_server(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    patient_id = ehr.patient_id(FALLING_EGFR)
    complete = await _complete_prefetch(ehr_client, ehr, patient_id)
    assert all(len(complete[key]["entry"]) > 1 for key in HISTORIES)

    whole = await _call(ehr_client, ehr, ehr.request(patient_id, prefetch=complete))
    first_pages_only = await _call(ehr_client, ehr, ehr.request(patient_id, prefetch=_paged(complete)))
    paged = await _call(
        ehr_client, ehr, ehr.request(patient_id, prefetch=_paged(complete, **NEXT), fhir_server=ehr.fhir_base)
    )

    assert whole.status_code == first_pages_only.status_code == paged.status_code == 200, paged.text
    [card] = whole.json()["cards"]
    assert [c["detail"] for c in first_pages_only.json()["cards"]] != [card["detail"]], (
        "the premise: a part misleads"
    )
    assert [c["detail"] for c in paged.json()["cards"]] == [card["detail"]]


async def test_a_paged_prefetch_without_a_fhir_server_is_412(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    patient_id = ehr.patient_id(FALLING_EGFR)
    complete = await _complete_prefetch(ehr_client, ehr, patient_id)

    with_next = await _call(ehr_client, ehr, ehr.request(patient_id, prefetch=_paged(complete, **NEXT)))
    with_total = await _call(
        ehr_client,
        ehr,
        ehr.request(patient_id, prefetch=_paged(complete, total=len(complete["egfr"]["entry"]))),
    )

    for response in (with_next, with_total):
        assert response.status_code == 412, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        detail = response.json()["detail"]
        assert "only part of egfr, creatinine" in detail
        assert "no fhirServer" in detail


async def test_a_paged_prefetch_with_a_server_off_the_allow_list_is_412(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    patient_id = ehr.patient_id(FALLING_EGFR)
    complete = await _complete_prefetch(ehr_client, ehr, patient_id)
    body = ehr.request(patient_id, prefetch=_paged(complete, **NEXT), fhir_server="http://127.0.0.1:9/fhir")

    response = await _call(ehr_client, ehr, body)

    assert response.status_code == 412
    assert "allow-list" in response.json()["detail"]
