"""The EHR's FHIR server is read with the EHR's bearer token, pages and all, and never beyond that server;
prefetched resources answer a record query as a FHIR search would, and another patient's are left out."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from adapters.errors import UpstreamBadResponse
from adapters.fhir_r4.prefetched import FhirServerReader, PrefetchedSource, resources_of
from adapters.http import RetryPolicy
from schemas.clinical import SNOMED, Coding, ObservationQuery, RecordQuery, Sex, SourcePatient
from tests.support import fhir_factory as fhir

BASE = "https://ehr.test/fhir"


def _bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [{"resource": r} for r in resources],
    }


def _reader(handler: Any) -> FhirServerReader:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return FhirServerReader(BASE, "ehr-token", client=client, retry=RetryPolicy(attempts=1))


async def test_queries_carry_the_bearer_token_and_every_page_is_read() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "_offset" in request.url.params:
            return httpx.Response(200, json=_bundle({"resourceType": "Observation", "id": "b"}))
        return httpx.Response(
            200,
            json=_bundle(
                {"resourceType": "Observation", "id": "a"}, next_url=f"{BASE}/Observation?_offset=1"
            ),
        )

    found = await _reader(handler).read("Observation?patient=p1")

    assert [entry["resource"]["id"] for entry in found["entry"]] == ["a", "b"]
    assert all(request.headers["Authorization"] == "Bearer ehr-token" for request in seen)
    assert "link" not in found


async def test_a_next_link_to_another_server_is_never_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=_bundle(next_url="http://169.254.169.254/latest/meta-data"))

    with pytest.raises(UpstreamBadResponse):
        await _reader(handler).read("Observation?patient=p1")
    assert len(seen) == 1


async def test_a_query_reaching_outside_the_server_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    with pytest.raises(UpstreamBadResponse):
        await _reader(handler).read("https://elsewhere.test/fhir/Patient/1")


def test_a_prefetch_value_that_is_not_fhir_is_refused() -> None:
    with pytest.raises(UpstreamBadResponse):
        resources_of("prefetch egfr", {"hello": "world"})


async def test_prefetched_results_answer_like_a_search_and_leave_out_another_patients() -> None:
    patient = SourcePatient("pat-1", "9434765919", "Ayesha Khan", date(1955, 3, 2), Sex.FEMALE)
    egfr = fhir.UK["egfr"]
    resources = [
        fhir.result("pat-1", 1, egfr, "2020-01-10", 50.0),
        fhir.result("pat-1", 2, egfr, "2024-01-10", 40.0),
        fhir.result("pat-2", 3, egfr, "2024-02-10", 10.0),
    ]
    source = PrefetchedSource(
        practice_ods="A12345", adapter="cds-hooks", patient=patient, resources=resources
    )
    query = RecordQuery(
        observations=(ObservationQuery("egfr", (Coding(SNOMED, egfr.code),), since=date(2023, 1, 1)),),
        include_medications=False,
        include_conditions=False,
    )

    record = await source.fetch_record("9434765919", query)

    assert [o.value for o in record.observations] == [40.0]
    assert [f.part for f in record.failures] == ["prefetch"]
