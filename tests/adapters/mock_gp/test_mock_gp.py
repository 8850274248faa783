"""The mock GP server on 127.0.0.1: FHIR search and paging, writes, and every injectable fault."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapters.demo import DEMO_PATIENTS, write_demo_practice
from adapters.errors import UpstreamUnavailable
from adapters.fhir_r4 import FhirR4Source
from adapters.http import RetryPolicy
from adapters.mock_gp import FaultConfig, running_mock_gp
from schemas.clinical import LOINC, NHS_NUMBER_SYSTEM, SNOMED, Coding, ObservationQuery, RecordQuery

TODAY = date(2026, 11, 22)
PAGED_NHS = "9000000009"
EGFR_CODES = (Coding(SNOMED, "1011481000000105"), Coding(LOINC, "62238-1"))
QUERY = RecordQuery(observations=(ObservationQuery("egfr", EGFR_CODES),))
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=2.0)


def paged_patient() -> dict[str, Any]:
    """A patient with seven eGFRs, one a year from 2018, and a transaction bundle's urn:uuid references."""
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": "urn:uuid:patient-7",
            "resource": {
                "resourceType": "Patient",
                "id": "paged",
                "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": PAGED_NHS}],
                "gender": "female",
            },
            "request": {"method": "POST", "url": "Patient"},
        }
    ]
    for year in range(2018, 2025):
        resource = {
            "resourceType": "Observation",
            "id": f"egfr-{year}",
            "status": "final",
            "code": {"coding": [{"system": SNOMED, "code": "1011481000000105"}]},
            "subject": {"reference": "urn:uuid:patient-7"},
            "effectiveDateTime": f"{year}-06-01T09:00:00Z",
            "valueQuantity": {"value": 80 - year + 2018, "unit": "mL/min/1.73m2"},
        }
        entries.append({"fullUrl": f"urn:uuid:egfr-{year}", "resource": resource})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("mock-gp")
    write_demo_practice(directory, TODAY)
    (directory / "paged.json").write_bytes(orjson.dumps(paged_patient()))
    return directory


@pytest.fixture(scope="module")
def base_url(data_dir: Path) -> Iterator[str]:
    with running_mock_gp(data_dir) as url:
        yield url


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client
        await client.post(_control(base_url, "_faults"), json={})
        await client.delete(_control(base_url, "_received"))


def _control(base_url: str, name: str) -> str:
    return f"{base_url.removesuffix('/fhir')}/{name}"


async def set_faults(http: httpx.AsyncClient, base_url: str, **faults: Any) -> None:
    response = await http.post(_control(base_url, "_faults"), json=faults)
    assert response.status_code == 200, response.text


def source(base_url: str, http: httpx.AsyncClient, **kwargs: Any) -> FhirR4Source:
    return FhirR4Source("A12345", base_url, client=http, retry=FAST, **kwargs)


# --- FHIR ---------------------------------------------------------------------------------------------------


def test_it_listens_on_loopback_only(base_url: str) -> None:
    assert base_url.startswith("http://127.0.0.1:")


async def test_metadata_is_a_capability_statement(base_url: str, http: httpx.AsyncClient) -> None:
    response = await http.get(f"{base_url}/metadata")

    assert response.json()["resourceType"] == "CapabilityStatement"
    assert response.headers["content-type"].startswith("application/fhir+json")


async def test_a_patient_is_found_by_identifier(base_url: str, http: httpx.AsyncClient) -> None:
    nhs = DEMO_PATIENTS[0].nhs_number

    found = (
        await http.get(f"{base_url}/Patient", params={"identifier": f"{NHS_NUMBER_SYSTEM}|{nhs}"})
    ).json()
    missing = (
        await http.get(f"{base_url}/Patient", params={"identifier": f"{NHS_NUMBER_SYSTEM}|9434765919"})
    ).json()

    assert [e["resource"]["identifier"][0]["value"] for e in found["entry"]] == [nhs]
    assert missing["total"] == 0


async def test_one_search_reads_several_patients_results_and_is_counted(
    base_url: str, http: httpx.AsyncClient
) -> None:
    identifier = {"identifier": f"{NHS_NUMBER_SYSTEM}|{DEMO_PATIENTS[0].nhs_number}"}
    demo_id = (await http.get(f"{base_url}/Patient", params=identifier)).json()["entry"][0]["resource"]["id"]

    async def total(patients: str) -> int:
        bundle = (await http.get(f"{base_url}/Observation", params={"patient": patients})).json()
        count: int = bundle["total"]
        return count

    paged, demo, both = await total("paged"), await total(demo_id), await total(f"Patient/paged,{demo_id}")
    received = (await http.get(_control(base_url, "_received"))).json()

    assert (paged, demo > 0, both) == (7, True, paged + demo)
    assert received["searches"] == {"Patient": 1, "Observation": 3}


async def test_searches_page_by_count_and_offset_with_absolute_next_links(
    base_url: str, http: httpx.AsyncClient
) -> None:
    params = {"patient": "paged", "code": f"{SNOMED}|1011481000000105", "_count": "3"}
    url: str | None = f"{base_url}/Observation"
    seen: list[str] = []
    while url is not None:
        bundle = (await http.get(url, params=params if not seen else None)).json()
        seen += [entry["resource"]["id"] for entry in bundle["entry"]]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        assert url is None or url.startswith(base_url)

    assert seen == [f"egfr-{year}" for year in range(2018, 2025)]


@pytest.mark.parametrize(
    ("date_filter", "years"),
    [
        (["ge2022-01-01"], [2022, 2023, 2024]),
        (["gt2022"], [2023, 2024]),
        (["lt2019-06-01T09:00:00Z"], [2018]),
        (["le2019-06"], [2018, 2019]),
        (["ge2020", "lt2022"], [2020, 2021]),
        (["2021"], [2021]),
    ],
)
async def test_observations_are_filtered_by_date(
    base_url: str, http: httpx.AsyncClient, date_filter: list[str], years: list[int]
) -> None:
    params = httpx.QueryParams([("patient", "Patient/paged"), *(("date", value) for value in date_filter)])

    bundle = (await http.get(f"{base_url}/Observation", params=params)).json()

    assert [entry["resource"]["id"] for entry in bundle["entry"]] == [f"egfr-{year}" for year in years]


async def test_observations_are_filtered_by_any_of_the_codes(base_url: str, http: httpx.AsyncClient) -> None:
    wanted = {"patient": "paged", "code": f"{LOINC}|33914-3,{SNOMED}|1011481000000105"}
    unwanted = {"patient": "paged", "code": f"{LOINC}|1011481000000105"}

    assert (await http.get(f"{base_url}/Observation", params=wanted)).json()["total"] == 7
    assert (await http.get(f"{base_url}/Observation", params=unwanted)).json()["total"] == 0


async def test_a_resource_is_read_by_id(base_url: str, http: httpx.AsyncClient) -> None:
    found = await http.get(f"{base_url}/Observation/egfr-2020")
    missing = await http.get(f"{base_url}/Observation/nothing")

    assert found.json()["valueQuantity"]["value"] == 78
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"


async def test_a_bad_date_is_a_bad_request(base_url: str, http: httpx.AsyncClient) -> None:
    response = await http.get(f"{base_url}/Observation", params={"date": "ge-yesterday"})

    assert response.status_code == 400


async def test_a_record_is_fetched_through_the_fhir_adapter(base_url: str, http: httpx.AsyncClient) -> None:
    patient = next(p for p in DEMO_PATIENTS if "five antihypertensive" in p.story)

    record = await source(base_url, http, page_size=5).fetch_record(patient.nhs_number, QUERY)

    assert record.failures == []
    assert len(record.observations) > 5
    # By concept, contained Medication and referenced Medication (found through _include) alike.
    assert {m.name for m in record.medications} == {
        "Ramipril 5mg capsules",
        "Amlodipine 10mg tablets",
        "Indapamide 2.5mg tablets",
        "Doxazosin 4mg tablets",
        "Bisoprolol 5mg tablets",
    }
    assert {c.codings[0].code for c in record.conditions} == {"59621000"}


# --- faults -------------------------------------------------------------------------------------------------


async def test_latency_is_added_to_every_fhir_answer(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, latency_ms=200)

    started = time.monotonic()
    await http.get(f"{base_url}/metadata")

    assert time.monotonic() - started >= 0.2


async def test_a_count_of_errors_is_absorbed_by_retries(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, error_count=2)

    record = await source(base_url, http).fetch_record(PAGED_NHS, QUERY)

    assert record.failures == []
    assert len(record.observations) == 7


async def test_errors_limited_to_one_type_fail_only_that_part(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, error_count=100, error_status=500, resource_types=["Condition"])

    record = await source(base_url, http).fetch_record(PAGED_NHS, QUERY)

    assert [f.part for f in record.failures] == ["conditions"]
    assert len(record.observations) == 7


async def test_an_error_rate_of_one_fails_every_request(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, error_rate=1.0)

    with pytest.raises(UpstreamUnavailable):
        await source(base_url, http).find_patient(PAGED_NHS)


async def test_an_error_rate_fails_about_that_fraction(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, error_rate=0.5, seed=7)

    statuses = [(await http.get(f"{base_url}/metadata")).status_code for _ in range(40)]

    assert 8 <= statuses.count(503) <= 32
    assert set(statuses) == {200, 503}


async def test_rate_limiting_answers_429_with_retry_after(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, rate_limit_count=1, retry_after_s=3)

    limited = await http.get(f"{base_url}/metadata")
    after = await http.get(f"{base_url}/metadata")

    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert after.status_code == 200


async def test_rate_limiting_is_waited_out_when_retry_after_is_short(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, rate_limit_count=1, retry_after_s=0)

    assert (await source(base_url, http).find_patient(PAGED_NHS)).resource_id == "paged"


@pytest.mark.parametrize("fault", ["malformed_count", "truncated_count"])
async def test_an_unreadable_answer_fails_its_part(
    base_url: str, http: httpx.AsyncClient, fault: str
) -> None:
    await set_faults(http, base_url, resource_types=["Observation"], **{fault: 1})

    record = await source(base_url, http).fetch_record(PAGED_NHS, QUERY)

    assert [f.part for f in record.failures] == ["observations:egfr"]
    assert "not valid JSON" in record.failures[0].detail


async def test_a_truncated_answer_is_a_complete_message_with_half_a_body(
    base_url: str, http: httpx.AsyncClient
) -> None:
    whole = await http.get(f"{base_url}/metadata")
    await set_faults(http, base_url, truncated_count=1)

    cut = await http.get(f"{base_url}/metadata")

    assert cut.content == whole.content[: len(whole.content) // 2]


async def test_endless_next_links_are_stopped_by_the_page_cap(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, endless_next=True)

    record = await source(base_url, http, page_cap=4).fetch_record(PAGED_NHS, QUERY)

    assert "observations:egfr" in [f.part for f in record.failures]
    assert record.failures[0].detail == "search has more than 4 pages"


async def test_faults_can_be_read_back_and_bad_settings_are_refused(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, error_count=2)

    current = (await http.get(_control(base_url, "_faults"))).json()
    refused = await http.post(_control(base_url, "_faults"), json={"error_count": "two", "colour": "red"})

    assert current["config"]["error_count"] == 2
    assert current["remaining"]["error_count"] == 2
    assert refused.status_code == 400


def test_faults_can_be_set_when_the_server_starts(data_dir: Path) -> None:
    with running_mock_gp(data_dir, FaultConfig(error_count=1, error_status=502)) as url:
        first = httpx.get(f"{url}/metadata", timeout=10)
        second = httpx.get(f"{url}/metadata", timeout=10)

    assert (first.status_code, second.status_code) == (502, 200)


def test_faults_are_read_from_the_environment() -> None:
    environ = {"VCLINIC_MOCK_GP_FAULTS": '{"latency_ms": 100, "resource_types": ["Observation"]}'}

    assert FaultConfig.from_env(environ) == FaultConfig(latency_ms=100, resource_types=("Observation",))
    assert FaultConfig.from_env({}) == FaultConfig()


@pytest.mark.parametrize(
    "settings",
    [
        {"latency": 5},
        {"error_rate": 1.5},
        {"error_count": -1},
        {"endless_next": 1},
        {"resource_types": "Patient"},
    ],
)
def test_fault_settings_are_checked(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(settings))):
        FaultConfig.from_mapping(settings)


# --- writes -------------------------------------------------------------------------------------------------


def communication(identifier: str) -> dict[str, Any]:
    return {
        "resourceType": "Communication",
        "identifier": [{"system": "https://vclinic.example/advice", "value": identifier}],
        "status": "completed",
    }


async def test_posted_communications_are_counted_raw_and_once_per_identifier(
    base_url: str, http: httpx.AsyncClient
) -> None:
    created = await http.post(f"{base_url}/Communication", json=communication("advice-1"))
    await http.post(f"{base_url}/Communication", json=communication("advice-1"))
    await http.post(f"{base_url}/Communication", json=communication("advice-2"))

    received = (await http.get(_control(base_url, "_received"))).json()

    assert created.status_code == 201
    assert created.headers["location"].startswith("Communication/")
    assert (received["communications"]["raw"], received["communications"]["unique"]) == (3, 2)
    assert received["communications"]["items"][0]["identifier"][0]["value"] == "advice-1"


async def test_put_tasks_are_stored_and_readable(base_url: str, http: httpx.AsyncClient) -> None:
    task = {"resourceType": "Task", "status": "requested", "intent": "order"}

    first = await http.put(f"{base_url}/Task/t1", json=task)
    again = await http.put(f"{base_url}/Task/t1", json=task | {"status": "completed"})
    read = await http.get(f"{base_url}/Task/t1")
    received = (await http.get(_control(base_url, "_received"))).json()

    assert (first.status_code, again.status_code) == (201, 200)
    assert read.json()["status"] == "completed"
    assert (received["tasks"]["raw"], received["tasks"]["unique"]) == (2, 1)


async def test_a_failed_delivery_is_not_received(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, error_count=1, resource_types=["Communication"])

    refused = await http.post(f"{base_url}/Communication", json=communication("advice-3"))
    received = (await http.get(_control(base_url, "_received"))).json()

    assert refused.status_code == 503
    assert received["communications"]["raw"] == 0


async def test_other_writes_are_not_supported(base_url: str, http: httpx.AsyncClient) -> None:
    response = await http.post(f"{base_url}/Observation", json={"resourceType": "Observation"})

    assert response.status_code == 405


async def test_a_write_that_is_not_the_named_type_is_refused(base_url: str, http: httpx.AsyncClient) -> None:
    response = await http.post(f"{base_url}/Communication", json={"resourceType": "Task"})

    assert response.status_code == 400
