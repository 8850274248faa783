"""PdsDirectory against each documented PDS FHIR response (MESH_AND_PDS.md, "PDS FHIR R4"), through respx."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from adapters.errors import PatientNotFound, UpstreamBadResponse, UpstreamUnavailable
from adapters.http import RetryPolicy
from adapters.pds import PdsDirectory, StaticDirectory

BASE = "https://sandbox.api.service.nhs.uk/personal-demographics/FHIR/R4"
NHS_NUMBER = "9000000009"
PATIENT_URL = f"{BASE}/Patient/{NHS_NUMBER}"
TODAY = date(2026, 11, 22)
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"


def pds_patient(
    *,
    patient_id: str = NHS_NUMBER,
    security: str = "U",
    practice: str | None = "Y12345",
    period: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Patient as PDS returns one, reduced to the fields the directory reads and their neighbours."""
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id,
        "meta": {
            "versionId": "2",
            "security": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": security}
            ],
        },
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": patient_id}],
        "birthDate": "2010-10-22",
    }
    if practice is not None:
        identifier: dict[str, Any] = {"system": ODS_SYSTEM, "value": practice}
        if period is not None:
            identifier["period"] = period
        patient["generalPractitioner"] = [
            {"id": "254406A3", "type": "Organization", "identifier": identifier}
        ]
    return patient


def pds_error(code: str, issue_code: str = "not-found") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": issue_code,
                "details": {
                    "coding": [
                        {
                            "system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
                            "version": "1",
                            "code": code,
                        }
                    ]
                },
            }
        ],
    }


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as shared:
        yield shared


@pytest.fixture
def pds(client: httpx.AsyncClient) -> PdsDirectory:
    return PdsDirectory(BASE, client, retry=RetryPolicy(attempts=1), today=lambda: TODAY)


@respx.mock
async def test_the_registered_practice_is_the_ods_code_of_the_first_general_practitioner(
    pds: PdsDirectory,
) -> None:
    respx.get(PATIENT_URL).respond(json=pds_patient(period={"start": "2020-01-01"}))

    assert await pds.registered_practice(NHS_NUMBER) == "Y12345"


@respx.mock
async def test_a_registration_without_a_period_counts_as_current(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(json=pds_patient())

    assert await pds.registered_practice(NHS_NUMBER) == "Y12345"


@respx.mock
async def test_a_registration_that_ended_gives_no_practice(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(json=pds_patient(period={"start": "2020-01-01", "end": "2021-12-31"}))

    assert await pds.registered_practice(NHS_NUMBER) is None


@respx.mock
async def test_a_registration_that_has_not_started_gives_no_practice(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(json=pds_patient(period={"start": "2027-01-01"}))

    assert await pds.registered_practice(NHS_NUMBER) is None


@respx.mock
async def test_a_registration_ending_today_still_counts(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(json=pds_patient(period={"start": "2020-01-01", "end": TODAY.isoformat()}))

    assert await pds.registered_practice(NHS_NUMBER) == "Y12345"


@respx.mock
async def test_a_restricted_patient_gives_no_practice_even_if_one_were_sent(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(json=pds_patient(security="R"))

    assert await pds.registered_practice(NHS_NUMBER) is None


@respx.mock
async def test_a_restricted_patient_as_pds_sends_it_gives_no_practice(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(json=pds_patient(security="R", practice=None))

    assert await pds.registered_practice(NHS_NUMBER) is None


@respx.mock
async def test_a_patient_without_a_general_practitioner_gives_no_practice(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(json=pds_patient(practice=None))

    assert await pds.registered_practice(NHS_NUMBER) is None


@respx.mock
async def test_a_superseded_nhs_number_still_yields_the_current_records_practice(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(json=pds_patient(patient_id="9000000017"))

    assert await pds.registered_practice(NHS_NUMBER) == "Y12345"


@respx.mock
@pytest.mark.parametrize("code", ["RESOURCE_NOT_FOUND", "INVALIDATED_RESOURCE"])
async def test_an_unknown_or_invalidated_patient_is_patient_not_found(pds: PdsDirectory, code: str) -> None:
    respx.get(PATIENT_URL).respond(404, json=pds_error(code))

    with pytest.raises(PatientNotFound, match=code):
        await pds.registered_practice(NHS_NUMBER)


@respx.mock
async def test_an_invalid_nhs_number_is_a_bad_response(pds: PdsDirectory) -> None:
    respx.get(f"{BASE}/Patient/9000000008").respond(400, json=pds_error("INVALID_RESOURCE_ID", "value"))

    with pytest.raises(UpstreamBadResponse, match="rejected the NHS number"):
        await pds.registered_practice("9000000008")


@respx.mock
async def test_an_answer_that_is_not_a_patient_is_a_bad_response(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(json={"resourceType": "Bundle", "type": "searchset"})

    with pytest.raises(UpstreamBadResponse):
        await pds.registered_practice(NHS_NUMBER)


@respx.mock
async def test_pds_being_down_is_unavailable(pds: PdsDirectory) -> None:
    respx.get(PATIENT_URL).respond(503)

    with pytest.raises(UpstreamUnavailable):
        await pds.registered_practice(NHS_NUMBER)


@respx.mock
async def test_each_request_carries_a_uuid_request_id(pds: PdsDirectory) -> None:
    route = respx.get(PATIENT_URL).respond(json=pds_patient())

    await pds.registered_practice(NHS_NUMBER)
    await pds.registered_practice(NHS_NUMBER)

    ids = [uuid.UUID(call.request.headers["X-Request-ID"]) for call in route.calls]
    assert ids[0] != ids[1]
    assert "Authorization" not in route.calls.last.request.headers


@respx.mock
async def test_a_token_provider_supplies_the_bearer_token(client: httpx.AsyncClient) -> None:
    async def token() -> str:
        return "signed-jwt-access-token"

    route = respx.get(PATIENT_URL).respond(json=pds_patient())
    pds = PdsDirectory(BASE, client, token_provider=token)

    await pds.registered_practice(NHS_NUMBER)

    assert route.calls.last.request.headers["Authorization"] == "Bearer signed-jwt-access-token"


@respx.mock
async def test_a_malformed_nhs_number_cannot_change_the_path(pds: PdsDirectory) -> None:
    route = respx.get(f"{BASE}/Patient/..%2Fmetadata").respond(
        400, json=pds_error("INVALID_RESOURCE_ID", "value")
    )

    with pytest.raises(UpstreamBadResponse):
        await pds.registered_practice("../metadata")

    assert route.called


async def test_a_static_directory_knows_exactly_the_registrations_it_was_given() -> None:
    directory = StaticDirectory({NHS_NUMBER: "A12345"})

    assert await directory.registered_practice(NHS_NUMBER) == "A12345"
    assert await directory.registered_practice("9434765919") is None
    await directory.aclose()


async def test_a_static_directory_is_not_changed_by_later_edits_to_its_mapping() -> None:
    mapping = {NHS_NUMBER: "A12345"}
    directory = StaticDirectory(mapping)

    mapping[NHS_NUMBER] = "B82617"

    assert await directory.registered_practice(NHS_NUMBER) == "A12345"
