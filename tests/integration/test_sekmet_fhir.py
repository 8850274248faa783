"""FhirR4Source against a third-party FHIR R4 server (sekmet-fhir) holding a Synthea patient.

The server runs on 127.0.0.1 in a subprocess with its store in a temporary directory. If it cannot start, the
tier fails under CI (``CI=true``) and is skipped elsewhere.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapters.errors import PatientNotFound
from adapters.fhir_r4 import FhirR4Source
from schemas.clinical import LOINC, NHS_NUMBER_SYSTEM, SNOMED, Coding, ObservationQuery, RecordQuery, Sex
from tests.support.sekmet import running_sekmet

pytestmark = pytest.mark.integration

SYNTHEA = (
    Path(__file__).parents[1]
    / "fixtures"
    / "synthea-r4"
    / "Isaiah_Schaden_b6b36717-6ad2-433d-bf5c-6c77bc2fcd96.json"
)
NHS = "9434765919"
EGFR = ObservationQuery("egfr", (Coding(SNOMED, "1011481000000105"), Coding(LOINC, "33914-3")))
CREATININE = ObservationQuery("creatinine", (Coding(LOINC, "2160-0"), Coding(LOINC, "38483-4")))
ACR = ObservationQuery("acr", (Coding(LOINC, "14959-1"),))
BLOOD_PRESSURE = ObservationQuery("blood-pressure", (Coding(LOINC, "55284-4"), Coding(LOINC, "85354-9")))
QUERY = RecordQuery(observations=(EGFR, CREATININE, ACR, BLOOD_PRESSURE))


@pytest.fixture(scope="module")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's FHIR base URL, serving an empty store in a temporary directory."""
    with running_sekmet(tmp_path_factory.mktemp("sekmet")) as base_url:
        yield base_url


def _synthea_bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = orjson.loads(SYNTHEA.read_bytes())
    return bundle


@pytest.fixture(scope="module")
def loaded(sekmet: str) -> dict[str, Any]:
    """The Synthea transaction, given an NHS number as a UK practice would hold it, loaded into the server."""
    bundle = copy.deepcopy(_synthea_bundle())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["identifier"].append({"system": NHS_NUMBER_SYSTEM, "value": NHS})
    response = httpx.post(
        sekmet, content=orjson.dumps(bundle), headers={"Content-Type": "application/fhir+json"}, timeout=120.0
    )
    assert response.status_code == 200, response.text[:2000]
    return bundle


def _count(bundle: dict[str, Any], resource_type: str, codes: tuple[Coding, ...] = ()) -> int:
    wanted = {(c.system, c.code) for c in codes}
    return sum(
        1
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
        and (
            not wanted or any((c["system"], c["code"]) in wanted for c in entry["resource"]["code"]["coding"])
        )
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client


async def test_a_synthea_record_is_fetched_whole_through_the_servers_own_paging(
    sekmet: str, loaded: dict[str, Any], http: httpx.AsyncClient
) -> None:
    pages: list[str] = []

    async def count_page(request: httpx.Request) -> None:
        pages.append(request.url.path)

    http.event_hooks["request"] = [count_page]
    source = FhirR4Source("A12345", sekmet, client=http, page_size=5)

    record = await source.fetch_record(NHS, QUERY)

    assert record.failures == []
    assert record.upstream_warnings == []
    for query in QUERY.observations:
        found = [o for o in record.observations if {(c.system, c.code) for c in o.codings} & _codes(query)]
        assert len(found) == _count(loaded, "Observation", query.codes), query.name
    assert len(record.medications) == _count(loaded, "MedicationRequest")
    assert len(record.conditions) == _count(loaded, "Condition")
    assert pages.count("/fhir/Observation") > len(QUERY.observations)


def _codes(query: ObservationQuery) -> set[tuple[str, str]]:
    return {(c.system, c.code) for c in query.codes}


async def test_the_patient_and_results_read_as_the_source_wrote_them(
    sekmet: str, loaded: dict[str, Any], http: httpx.AsyncClient
) -> None:
    source = FhirR4Source("A12345", sekmet, client=http)

    record = await source.fetch_record(NHS, RecordQuery(observations=(BLOOD_PRESSURE,)))

    assert record.patient.nhs_number == NHS
    assert (record.patient.birth_date, record.patient.sex) == (date(1953, 2, 19), Sex.MALE)
    assert "Schaden" in (record.patient.name or "")
    readings = record.observations
    assert readings
    assert all(len(o.components) == 2 and o.effective and o.effective.tzinfo for o in readings)
    assert {m.name for m in record.medications} >= {"Hydrochlorothiazide 25 MG"}


async def test_the_server_filters_by_date(
    sekmet: str, loaded: dict[str, Any], http: httpx.AsyncClient
) -> None:
    since = date(2018, 1, 1)
    recent = ObservationQuery("egfr", EGFR.codes, since=since)
    source = FhirR4Source("A12345", sekmet, client=http)

    record = await source.fetch_record(NHS, RecordQuery(observations=(recent,), include_medications=False))

    assert 0 < len(record.observations) < _count(loaded, "Observation", EGFR.codes)
    assert all(o.effective and o.effective.date() >= since for o in record.observations)


async def test_an_nhs_number_the_server_does_not_hold_is_not_found(
    sekmet: str, loaded: dict[str, Any], http: httpx.AsyncClient
) -> None:
    with pytest.raises(PatientNotFound):
        await FhirR4Source("A12345", sekmet, client=http).find_patient("9000000009")
