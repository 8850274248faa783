"""How GpConnectSource turns GP Connect's failures into the project's own errors (adapters/errors.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx

from adapters.errors import (
    PatientNotFound,
    UpstreamBadResponse,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.gp_connect import GpConnectSource
from adapters.http import RetryPolicy
from schemas.clinical import SNOMED, Coding, ObservationQuery, RecordQuery

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gpconnect-stu3"
BASE = "https://gp.example.nhs.uk/fhir"
OPERATION = f"{BASE}/Patient/$gpc.getstructuredrecord"
NHS_NUMBER = "9999999999"
QUERY = RecordQuery(observations=(ObservationQuery("haemoglobin", (Coding(SNOMED, "1022431000000105"),)),))


def operation_outcome(spine_code: str, diagnostics: str = "") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"]},
        "issue": [
            {
                "severity": "error",
                "code": "invalid",
                "details": {
                    "coding": [
                        {
                            "system": "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1",
                            "code": spine_code,
                        }
                    ]
                },
                "diagnostics": diagnostics,
            }
        ],
    }


@pytest.fixture
async def gp() -> AsyncIterator[GpConnectSource]:
    async with httpx.AsyncClient() as client:
        yield GpConnectSource("B82617", BASE, client, retry=RetryPolicy(attempts=2, base_delay=0.0))


@respx.mock
async def test_patient_not_found_is_patient_not_found(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(404, json=operation_outcome("PATIENT_NOT_FOUND"))

    with pytest.raises(PatientNotFound):
        await gp.fetch_record(NHS_NUMBER, QUERY)


@respx.mock
async def test_a_bare_404_is_patient_not_found(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(404, text="Not Found")

    with pytest.raises(PatientNotFound):
        await gp.find_patient(NHS_NUMBER)


@respx.mock
async def test_an_nhs_number_the_practice_rejects_is_a_bad_response(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(400, json=operation_outcome("INVALID_NHS_NUMBER"))

    with pytest.raises(UpstreamBadResponse, match="rejected the NHS number"):
        await gp.fetch_record(NHS_NUMBER, QUERY)


@respx.mock
async def test_other_client_errors_name_their_spine_code_but_never_the_diagnostics(
    gp: GpConnectSource,
) -> None:
    outcome = operation_outcome("INVALID_PARAMETER", diagnostics=f"bad date for patient {NHS_NUMBER}")
    respx.post(OPERATION).respond(422, json=outcome)

    with pytest.raises(UpstreamBadResponse) as raised:
        await gp.fetch_record(NHS_NUMBER, QUERY)

    assert "INVALID_PARAMETER" in str(raised.value)
    assert NHS_NUMBER not in str(raised.value)


@respx.mock
async def test_a_refusal_of_our_credentials_is_refused(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(403, json=operation_outcome("NO_RELATIONSHIP"))

    with pytest.raises(UpstreamRefused):
        await gp.fetch_record(NHS_NUMBER, QUERY)


@respx.mock
async def test_an_unavailable_practice_system_is_retried_then_unavailable(gp: GpConnectSource) -> None:
    route = respx.post(OPERATION).respond(503)

    with pytest.raises(UpstreamUnavailable):
        await gp.fetch_record(NHS_NUMBER, QUERY)

    assert route.call_count == 2


@respx.mock
async def test_a_passing_failure_is_absorbed_by_a_retry(gp: GpConnectSource) -> None:
    bundle = orjson.loads((FIXTURES / "meds_response.json").read_bytes())
    respx.post(OPERATION).mock(side_effect=[httpx.Response(503), httpx.Response(200, json=bundle)])

    record = await gp.fetch_record(NHS_NUMBER, QUERY)

    assert record.patient.nhs_number == NHS_NUMBER


@respx.mock
async def test_no_answer_in_time_is_a_timeout(gp: GpConnectSource) -> None:
    respx.post(OPERATION).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(UpstreamTimeout):
        await gp.fetch_record(NHS_NUMBER, QUERY)


@respx.mock
async def test_a_body_that_is_not_json_is_a_bad_response(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(200, text="<html>proxy error</html>")

    with pytest.raises(UpstreamBadResponse):
        await gp.fetch_record(NHS_NUMBER, QUERY)


@respx.mock
async def test_an_answer_that_is_not_a_bundle_is_a_bad_response(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(200, json=operation_outcome("INTERNAL_SERVER_ERROR"))

    with pytest.raises(UpstreamBadResponse, match="not a FHIR Bundle"):
        await gp.fetch_record(NHS_NUMBER, QUERY)


@respx.mock
async def test_a_record_for_another_nhs_number_is_refused_as_a_bad_response(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(json=orjson.loads((FIXTURES / "meds_response.json").read_bytes()))

    with pytest.raises(UpstreamBadResponse, match="different NHS number"):
        await gp.fetch_record("9434765919", QUERY)


@respx.mock
async def test_a_bundle_without_a_patient_is_a_bad_response(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(json={"resourceType": "Bundle", "type": "collection", "entry": []})

    with pytest.raises(UpstreamBadResponse, match="no Patient"):
        await gp.find_patient(NHS_NUMBER)
