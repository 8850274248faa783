"""FhirR4Source against a respx-mocked practice server: lookup, the searches, paging and partial failure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from adapters.errors import PatientNotFound, UpstreamBadResponse, UpstreamUnavailable
from adapters.fhir_r4 import FhirR4Source
from schemas.clinical import (
    NHS_NUMBER_SYSTEM,
    SNOMED,
    Coding,
    ObservationQuery,
    RecordQuery,
)
from tests.adapters.fhir_r4.practice_server import (
    BASE,
    EVERYTHING,
    NHS,
    OBSERVATIONS_ONLY,
    observation,
    params,
    patient,
    searchset,
    source,
)

# --- the patient --------------------------------------------------------------------------------------------


async def test_the_patient_is_found_by_nhs_number_identifier(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    found = await source(http).find_patient(NHS)

    assert params(gp, "patient") == {"identifier": f"{NHS_NUMBER_SYSTEM}|{NHS}", "_count": "200"}
    assert (found.resource_id, found.nhs_number, found.name) == ("p1", NHS, "Isaiah Schaden")


async def test_the_practice_may_use_another_identifier_system(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    local = "https://emis.example/Id/nhs-number"
    record = patient()
    record["identifier"] = [{"system": local, "value": NHS}]
    gp.routes["patient"].mock(return_value=searchset(record))

    found = await FhirR4Source("A12345", BASE, local, client=http).find_patient(NHS)

    assert params(gp, "patient")["identifier"] == f"{local}|{NHS}"
    assert found.nhs_number == NHS


async def test_an_unknown_nhs_number_raises_patient_not_found(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["patient"].mock(return_value=searchset())

    with pytest.raises(PatientNotFound):
        await source(http).fetch_record(NHS, EVERYTHING)


async def test_two_patients_with_one_nhs_number_are_refused(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["patient"].mock(return_value=searchset(patient(), patient(resource_id="p2")))

    with pytest.raises(UpstreamBadResponse, match="2 patients"):
        await source(http).find_patient(NHS)


async def test_a_patient_with_a_different_nhs_number_is_refused(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["patient"].mock(return_value=searchset(patient(nhs_number="9000000009")))

    with pytest.raises(UpstreamBadResponse, match="different NHS number"):
        await source(http).find_patient(NHS)


async def test_a_failed_patient_lookup_raises(gp: respx.MockRouter, http: httpx.AsyncClient) -> None:
    gp.routes["patient"].respond(503)

    with pytest.raises(UpstreamUnavailable):
        await source(http).fetch_record(NHS, EVERYTHING)
    assert not gp.routes["Observation"].called


# --- the searches -------------------------------------------------------------------------------------------


async def test_each_part_is_one_search_for_only_what_the_query_asks(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    await source(http, page_size=100).fetch_record(NHS, EVERYTHING)

    assert params(gp, "Observation") == {
        "patient": "p1",
        "code": "http://snomed.info/sct|1011481000000105,http://loinc.org|33914-3",
        "date": "ge2021-04-01",
        "_count": "100",
    }
    assert params(gp, "MedicationRequest") == {
        "patient": "p1",
        "_include": "MedicationRequest:medication",
        "authoredon": "ge2023-01-01",
        "_count": "100",
    }
    assert params(gp, "MedicationStatement")["effective"] == "ge2023-01-01"
    assert params(gp, "Condition") == {"patient": "p1", "_count": "100"}


async def test_the_default_page_size_is_200(gp: respx.MockRouter, http: httpx.AsyncClient) -> None:
    await source(http).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert params(gp, "Observation")["_count"] == "200"


async def test_parts_not_asked_for_are_not_searched(gp: respx.MockRouter, http: httpx.AsyncClient) -> None:
    query = RecordQuery(observations=(ObservationQuery("nothing", ()),), include_medications=False)

    await source(http).fetch_record(NHS, query)

    assert not gp.routes["Observation"].called
    assert not gp.routes["MedicationRequest"].called
    assert gp.routes["Condition"].called


async def test_codes_are_escaped_for_fhir_search(gp: respx.MockRouter, http: httpx.AsyncClient) -> None:
    odd = ObservationQuery("odd", (Coding("urn:local", "a,b|c$d\\e"),))

    await source(http).fetch_record(NHS, RecordQuery(observations=(odd,), include_medications=False))

    assert params(gp, "Observation")["code"] == "urn:local|a\\,b\\|c\\$d\\\\e"


async def test_the_record_holds_every_part(gp: respx.MockRouter, http: httpx.AsyncClient) -> None:
    gp.routes["Observation"].mock(return_value=searchset(observation("o1")))
    gp.routes["MedicationRequest"].mock(
        return_value=searchset(
            {
                "resourceType": "MedicationRequest",
                "id": "m1",
                "status": "active",
                "medicationReference": {"reference": "Medication/ram"},
                "authoredOn": "2024-03-01",
            },
            {"resourceType": "Medication", "id": "ram", "code": {"text": "Ramipril 5mg capsules"}},
        )
    )
    gp.routes["Condition"].mock(
        return_value=searchset(
            {
                "resourceType": "Condition",
                "id": "c1",
                "code": {"coding": [{"system": SNOMED, "code": "44054006"}]},
            }
        )
    )

    record = await source(http).fetch_record(NHS, EVERYTHING)

    assert (record.practice_ods, record.adapter) == ("A12345", "fhir-r4")
    assert [o.resource_id for o in record.observations] == ["o1"]
    assert [m.name for m in record.medications] == ["Ramipril 5mg capsules"]
    assert [c.resource_id for c in record.conditions] == ["c1"]
    assert record.failures == []


async def test_the_four_searches_run_at_once(gp: respx.MockRouter, http: httpx.AsyncClient) -> None:
    """Each search waits for all four to arrive: made one after another, the first would wait for ever."""
    arrived: list[str] = []
    all_arrived = asyncio.Event()

    def barrier(resource_type: str) -> Callable[[httpx.Request], Any]:
        async def answer(request: httpx.Request) -> httpx.Response:
            arrived.append(resource_type)
            if len(arrived) == 4:
                all_arrived.set()
            await all_arrived.wait()
            return searchset()

        return answer

    for resource_type in ("Observation", "MedicationRequest", "MedicationStatement", "Condition"):
        gp.routes[resource_type].mock(side_effect=barrier(resource_type))

    record = await asyncio.wait_for(source(http).fetch_record(NHS, EVERYTHING), timeout=10)

    assert sorted(arrived) == ["Condition", "MedicationRequest", "MedicationStatement", "Observation"]
    assert record.failures == []


# --- paging -------------------------------------------------------------------------------------------------


async def test_absolute_next_links_are_followed(gp: respx.MockRouter, http: httpx.AsyncClient) -> None:
    gp.routes["Observation"].mock(
        side_effect=[
            searchset(observation("o1"), next_url=f"{BASE}/Observation?page=2"),
            searchset(observation("o2"), next_url=f"{BASE}/Observation?page=3"),
            searchset(observation("o3")),
        ]
    )

    record = await source(http).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert [o.resource_id for o in record.observations] == ["o1", "o2", "o3"]
    assert params(gp, "Observation", 1) == {"page": "2"}


async def test_relative_next_links_are_resolved_against_the_service_base(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["Observation"].mock(
        side_effect=[
            searchset(observation("o1"), next_url="Observation?page=2"),
            searchset(observation("o2"), next_url="/fhir/Observation?page=3"),
            searchset(observation("o3")),
        ]
    )

    record = await source(http).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert [o.resource_id for o in record.observations] == ["o1", "o2", "o3"]
    urls = [str(call.request.url) for call in gp.routes["Observation"].calls]
    assert urls[1:] == [f"{BASE}/Observation?page=2", f"{BASE}/Observation?page=3"]


async def test_a_search_past_the_page_cap_fails_its_part(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        return searchset(observation(f"o{page}"), next_url=f"{BASE}/Observation?page={page + 1}")

    gp.routes["Observation"].mock(side_effect=endless)

    record = await source(http, page_cap=3).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert gp.routes["Observation"].call_count == 3
    assert record.observations == []
    assert [(f.part, f.detail) for f in record.failures] == [
        ("observations:egfr", "search has more than 3 pages")
    ]


async def test_the_default_page_cap_is_50(gp: respx.MockRouter, http: httpx.AsyncClient) -> None:
    gp.routes["Observation"].mock(
        side_effect=lambda request: searchset(
            next_url=f"{BASE}/Observation?n={request.url.params.get('n', '0')}1"
        )
    )

    await source(http).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert gp.routes["Observation"].call_count == 50


async def test_a_next_link_back_to_a_page_already_read_is_a_loop(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["Observation"].mock(
        side_effect=[
            searchset(observation("o1"), next_url=f"{BASE}/Observation?page=2"),
            searchset(observation("o2"), next_url=f"{BASE}/Observation?page=3"),
            searchset(observation("o3"), next_url=f"{BASE}/Observation?page=2"),
        ]
    )

    record = await source(http).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert gp.routes["Observation"].call_count == 3
    assert record.observations == []
    assert "loops back" in record.failures[0].detail


async def test_a_next_link_back_to_the_first_page_is_a_loop_at_once(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    def first_page_again(request: httpx.Request) -> httpx.Response:
        return searchset(observation("o1"), next_url=str(request.url))

    gp.routes["Observation"].mock(side_effect=first_page_again)

    record = await source(http).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert gp.routes["Observation"].call_count == 1
    assert "loops back" in record.failures[0].detail


async def test_a_next_link_to_another_server_is_not_followed(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["Observation"].mock(
        return_value=searchset(
            observation("o1"), next_url="https://collector.example/fhir/Observation?page=2"
        )
    )

    record = await source(http).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert gp.routes["Observation"].call_count == 1
    assert record.failures[0].detail == "search next link points to another server"


# --- partial failure ----------------------------------------------------------------------------------------


async def test_one_failing_search_leaves_the_record_incomplete(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["Observation"].mock(return_value=searchset(observation("o1")))
    gp.routes["Condition"].respond(503)

    record = await source(http).fetch_record(NHS, EVERYTHING)

    assert [o.resource_id for o in record.observations] == ["o1"]
    assert [f.part for f in record.failures] == ["conditions"]
    assert "HTTP 503" in record.failures[0].detail


async def test_a_failure_on_a_later_page_drops_the_whole_part(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["Observation"].mock(
        side_effect=[searchset(observation("o1"), next_url=f"{BASE}/Observation?page=2"), httpx.Response(500)]
    )

    record = await source(http).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert record.observations == []
    assert [f.part for f in record.failures] == ["observations:egfr"]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"resourceType": "OperationOutcome", "issue": []}),
        httpx.Response(200, json=[{"resourceType": "Observation"}]),
        httpx.Response(200, json={"resourceType": "Bundle", "entry": {"resource": {}}}),
        httpx.Response(200, content=b'{"resourceType": "Bundle", "entry": [{"reso'),
        httpx.Response(404, json={"resourceType": "OperationOutcome"}),
        httpx.Response(400, json={"resourceType": "OperationOutcome"}),
    ],
    ids=["operation-outcome", "json-array", "entry-not-a-list", "truncated", "not-found", "bad-request"],
)
async def test_an_unreadable_search_answer_fails_its_part(
    gp: respx.MockRouter, http: httpx.AsyncClient, answer: httpx.Response
) -> None:
    gp.routes["Observation"].mock(return_value=answer)

    record = await source(http).fetch_record(NHS, EVERYTHING)

    assert [f.part for f in record.failures] == ["observations:egfr"]


async def test_unreadable_resources_are_left_out_and_leave_the_part_incomplete(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    no_status = observation("o2")
    del no_status["status"]
    gp.routes["Observation"].mock(
        return_value=searchset(observation("o1"), no_status, observation("o3", value="41")),
    )

    record = await source(http).fetch_record(NHS, OBSERVATIONS_ONLY)

    assert [o.resource_id for o in record.observations] == ["o1"]
    assert [(f.part, f.detail) for f in record.failures] == [
        ("observations:egfr", "2 Observation resources could not be read; left out")
    ]


async def test_closing_the_source_leaves_the_shared_client_open(http: httpx.AsyncClient) -> None:
    await source(http).aclose()

    assert not http.is_closed
