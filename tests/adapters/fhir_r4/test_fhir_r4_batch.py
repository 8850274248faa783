"""FhirR4Source fetching several patients in one go: one search per part for all, results filed by subject."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from adapters.errors import PatientNotFound, UpstreamBadResponse, UpstreamUnavailable
from schemas.clinical import NHS_NUMBER_SYSTEM, SourceRecord
from tests.adapters.fhir_r4.practice_server import (
    EVERYTHING,
    OBSERVATIONS_ONLY,
    observation,
    params,
    patient,
    searchset,
    source,
)

ANNA, BEN, CARA = "9434765919", "9000000009", "9000000017"


def about(resource: dict[str, Any], patient_id: str) -> dict[str, Any]:
    return {**resource, "subject": {"reference": f"Patient/{patient_id}"}}


def record_of(found: dict[str, SourceRecord | Exception], nhs_number: str) -> SourceRecord:
    outcome = found[nhs_number]
    assert isinstance(outcome, SourceRecord), outcome
    return outcome


def two_patients(gp: respx.MockRouter, *, next_url: str | None = None) -> None:
    gp.routes["patient"].mock(
        return_value=searchset(patient(ANNA, "p1"), patient(BEN, "p2"), next_url=next_url)
    )


async def test_one_search_finds_every_patient_and_one_search_per_part_reads_all_their_results(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    two_patients(gp)
    gp.routes["Observation"].mock(
        return_value=searchset(
            about(observation("o1"), "p1"), about(observation("o2"), "p2"), about(observation("o3"), "p2")
        )
    )

    found = await source(http).fetch_records([ANNA, BEN, CARA], EVERYTHING)

    identifiers = params(gp, "patient")["identifier"].split(",")
    assert identifiers == [f"{NHS_NUMBER_SYSTEM}|{nhs}" for nhs in (ANNA, BEN, CARA)]
    assert isinstance(found[CARA], PatientNotFound)
    assert [r.resource_id for r in record_of(found, ANNA).observations] == ["o1"]
    assert [r.resource_id for r in record_of(found, BEN).observations] == ["o2", "o3"]
    for part in ("Observation", "MedicationRequest", "MedicationStatement", "Condition"):
        assert gp.routes[part].call_count == 1
        assert params(gp, part)["patient"] == "p1,p2"


async def test_the_patient_search_stops_paging_once_everyone_is_found(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    two_patients(gp, next_url="https://gp.example/fhir/Patient?page=2")

    found = await source(http).fetch_records([ANNA, BEN], OBSERVATIONS_ONLY)

    assert gp.routes["patient"].call_count == 1
    assert record_of(found, ANNA).patient.resource_id == "p1"
    assert record_of(found, BEN).patient.resource_id == "p2"


async def test_an_included_medication_is_read_by_every_patient_who_takes_it(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    two_patients(gp)
    medication = {
        "resourceType": "Medication",
        "id": "m1",
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "318135002", "display": "Ramipril"}]
        },
    }

    def request(resource_id: str, patient_id: str) -> dict[str, Any]:
        return {
            "resourceType": "MedicationRequest",
            "id": resource_id,
            "status": "active",
            "intent": "order",
            "subject": {"reference": f"Patient/{patient_id}"},
            "medicationReference": {"reference": "Medication/m1"},
            "authoredOn": "2024-01-02",
        }

    gp.routes["MedicationRequest"].mock(
        return_value=searchset(request("r1", "p1"), request("r2", "p2"), medication)
    )

    found = await source(http).fetch_records([ANNA, BEN], EVERYTHING)

    assert [m.name for m in record_of(found, ANNA).medications] == ["Ramipril"]
    assert [m.name for m in record_of(found, BEN).medications] == ["Ramipril"]


async def test_a_result_naming_another_patient_is_never_filed_as_someone_elses(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    two_patients(gp)
    stranger = about(observation("o9"), "p9")
    history = {**observation("o4"), "subject": {"reference": "https://gp.example/fhir/Patient/p2/_history/3"}}
    gp.routes["Observation"].mock(return_value=searchset(stranger, observation("o5"), history))

    found = await source(http).fetch_records([ANNA, BEN], OBSERVATIONS_ONLY)

    anna, ben = record_of(found, ANNA), record_of(found, BEN)
    assert anna.observations == []
    assert [r.resource_id for r in ben.observations] == ["o4"]
    # The stranger's result and the one with no subject belong to neither: both are left out, and the part
    # is incomplete for both, since what was left out may have been theirs.
    left_out = "2 Observation resources named a patient not asked for; left out"
    assert [(f.part, f.detail) for f in anna.failures] == [("observations:egfr", left_out)]
    assert anna.failures == ben.failures


async def test_for_one_patient_a_result_without_a_subject_is_theirs_but_a_strangers_is_not(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["Observation"].mock(
        return_value=searchset(
            observation("o1"), about(observation("o9"), "p9"), about(observation("o2"), "p1")
        )
    )

    record = await source(http).fetch_record(ANNA, OBSERVATIONS_ONLY)

    assert [r.resource_id for r in record.observations] == ["o1", "o2"]
    assert [f.detail for f in record.failures] == [
        "1 Observation resources named a patient not asked for; left out"
    ]


async def test_a_failed_part_leaves_every_patients_record_incomplete(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    two_patients(gp)
    gp.routes["Condition"].mock(return_value=httpx.Response(400))

    found = await source(http).fetch_records([ANNA, BEN], EVERYTHING)

    for nhs_number in (ANNA, BEN):
        assert [f.part for f in record_of(found, nhs_number).failures] == ["conditions"]


async def test_a_failed_patient_search_is_every_patients_failure(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["patient"].mock(return_value=httpx.Response(503))

    found = await source(http).fetch_records([ANNA, BEN], EVERYTHING)

    assert all(isinstance(found[nhs], UpstreamUnavailable) for nhs in (ANNA, BEN))
    assert gp.routes["Observation"].call_count == 0


async def test_two_patients_sharing_one_nhs_number_fail_only_that_number(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["patient"].mock(
        return_value=searchset(patient(ANNA, "p1"), patient(BEN, "p2"), patient(BEN, "p3"))
    )

    found = await source(http).fetch_records([ANNA, BEN], OBSERVATIONS_ONLY)

    assert record_of(found, ANNA).patient.resource_id == "p1"
    assert isinstance(found[BEN], UpstreamBadResponse)
    assert "2 patients share one NHS number" in str(found[BEN])
    assert params(gp, "Observation")["patient"] == "p1"


async def test_a_batchs_pages_are_as_long_per_patient_as_one_patients_up_to_the_largest_page(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    two_patients(gp)

    await source(http, page_size=200, largest_page=1000).fetch_records([ANNA, BEN], OBSERVATIONS_ONLY)
    await source(http, page_size=200, largest_page=300).fetch_records([ANNA, BEN], OBSERVATIONS_ONLY)
    await source(http, page_size=200, largest_page=100).fetch_records([ANNA, BEN], OBSERVATIONS_ONLY)

    counts = [params(gp, "Observation", call)["_count"] for call in range(3)]
    # Never shorter than one patient's page, even where the largest page is set below it.
    assert counts == ["400", "300", "200"]
