"""GpConnectSource against the GP Connect specification's own example responses, served through respx."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx

from adapters.gp_connect import GpConnectSource
from adapters.gp_connect.source import INTERACTION_ID
from adapters.http import RetryPolicy
from schemas.clinical import SNOMED, Coding, ObservationQuery, RecordQuery, Sex
from tests.support.catalogue import normalised

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gpconnect-stu3"
BASE = "https://gp.example.nhs.uk/B82617/STU3/1/gpconnect/structured/fhir"
OPERATION = f"{BASE}/Patient/$gpc.getstructuredrecord"
PATHOLOGY_PATIENT = "9432003812"
MEDICATION_PATIENT = "9999999999"
HAEMOGLOBIN = Coding(SNOMED, "1022431000000105")
CREATININE = Coding(SNOMED, "1000731000000107")


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return loaded


def query(*codes: Coding, since: date | None = date(2015, 1, 1), **fields: Any) -> RecordQuery:
    return RecordQuery(observations=(ObservationQuery("results", codes, since),), **fields)


def sent_body(route: respx.Route) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(route.calls.last.request.content)
    return body


def parameter_names(body: dict[str, Any]) -> list[str]:
    return [parameter["name"] for parameter in body["parameter"]]


def parameter(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in body["parameter"] if item["name"] == name)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as shared:
        yield shared


@pytest.fixture
def gp(client: httpx.AsyncClient) -> GpConnectSource:
    async def token() -> str:
        return "token-for-this-request"

    return GpConnectSource(
        "B82617",
        BASE,
        client,
        from_asid="200000000115",
        to_asid="918999198738",
        token_provider=token,
        retry=RetryPolicy(attempts=2, base_delay=0.0),
    )


@respx.mock
async def test_fetch_record_posts_the_operation_with_the_spine_headers(gp: GpConnectSource) -> None:
    route = respx.post(OPERATION).respond(json=sample("pathology_response1.json"))

    await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN))

    headers = route.calls.last.request.headers
    assert uuid.UUID(headers["Ssp-TraceID"])
    assert (headers["Ssp-From"], headers["Ssp-To"]) == ("200000000115", "918999198738")
    assert headers["Ssp-InteractionID"] == INTERACTION_ID
    assert headers["Authorization"] == "Bearer token-for-this-request"
    assert headers["Content-Type"].startswith("application/fhir+json")


@respx.mock
async def test_each_request_has_its_own_trace_id(gp: GpConnectSource) -> None:
    route = respx.post(OPERATION).respond(json=sample("pathology_response1.json"))

    await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN))
    await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN))

    first, second = (call.request.headers["Ssp-TraceID"] for call in route.calls)
    assert first != second


@respx.mock
async def test_the_request_asks_only_for_the_areas_a_summary_needs(gp: GpConnectSource) -> None:
    route = respx.post(OPERATION).respond(json=sample("pathology_response1.json"))

    await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN, medications_since=date(2023, 1, 1)))

    body = sent_body(route)
    assert body["resourceType"] == "Parameters"
    assert parameter_names(body) == [
        "patientNHSNumber",
        "includeMedication",
        "includeProblems",
        "includeInvestigations",
        "includeUncategorisedData",
    ]
    assert parameter(body, "patientNHSNumber")["valueIdentifier"] == {
        "system": "https://fhir.nhs.uk/Id/nhs-number",
        "value": PATHOLOGY_PATIENT,
    }
    assert parameter(body, "includeMedication")["part"] == [
        {"name": "includePrescriptionIssues", "valueBoolean": False},
        {"name": "medicationSearchFromDate", "valueDate": "2023-01-01"},
    ]


@respx.mock
async def test_result_searches_start_at_the_earliest_date_any_search_needs(gp: GpConnectSource) -> None:
    route = respx.post(OPERATION).respond(json=sample("pathology_response1.json"))
    searches = (
        ObservationQuery("haemoglobin", (HAEMOGLOBIN,), date(2021, 6, 1)),
        ObservationQuery("creatinine", (CREATININE,), date(2019, 6, 1)),
    )

    await gp.fetch_record(PATHOLOGY_PATIENT, RecordQuery(observations=searches))

    body = sent_body(route)
    assert parameter(body, "includeInvestigations")["part"] == [
        {"name": "investigationSearchPeriod", "valuePeriod": {"start": "2019-06-01"}}
    ]
    assert parameter(body, "includeUncategorisedData")["part"] == [
        {"name": "uncategorisedDataSearchPeriod", "valuePeriod": {"start": "2019-06-01"}}
    ]


@respx.mock
async def test_the_investigations_parameter_has_the_shape_of_the_specifications_example(
    gp: GpConnectSource,
) -> None:
    route = respx.post(OPERATION).respond(json=sample("pathology_response1.json"))
    example = parameter(sample("pathology_request1.json"), "includeInvestigations")

    await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN, since=date(2017, 1, 2)))

    sent = parameter(sent_body(route), "includeInvestigations")
    assert [part["name"] for part in sent["part"]] == [part["name"] for part in example["part"]]
    assert sent["part"][0]["valuePeriod"]["start"] == example["part"][0]["valuePeriod"]["start"]


@respx.mock
async def test_a_search_without_a_start_date_asks_for_every_result_and_areas_can_be_left_out(
    gp: GpConnectSource,
) -> None:
    route = respx.post(OPERATION).respond(json=sample("pathology_response1.json"))

    await gp.fetch_record(
        PATHOLOGY_PATIENT, query(HAEMOGLOBIN, since=None, include_medications=False, include_conditions=False)
    )

    body = sent_body(route)
    assert parameter_names(body) == ["patientNHSNumber", "includeInvestigations", "includeUncategorisedData"]
    assert "part" not in parameter(body, "includeInvestigations")


@respx.mock
async def test_results_are_filtered_to_the_codes_asked_for(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(json=sample("pathology_response1.json"))

    record = await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN, CREATININE))

    [haemoglobin] = record.observations
    assert haemoglobin.resource_id == "770b982d-be09-4744-a5d7-54e757947ffe"
    assert haemoglobin.codings == (Coding(SNOMED, "1022431000000105", "Haemoglobin estimation"),)
    assert (haemoglobin.value, haemoglobin.unit, haemoglobin.status) == (142.0, "g/dL", "final")


@respx.mock
async def test_a_result_without_its_own_date_takes_its_specimen_collection_time(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(json=sample("pathology_response1.json"))

    record = await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN))

    assert record.observations[0].effective == datetime(2019, 4, 1, 11, 0, tzinfo=UTC)


@respx.mock
async def test_a_result_with_its_own_date_keeps_it(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(json=sample("pathology_response2.json"))
    prostate_specific_antigen = Coding(SNOMED, "1030791000000100")

    record = await gp.fetch_record(PATHOLOGY_PATIENT, query(prostate_specific_antigen))

    [result] = record.observations
    assert result.effective == datetime(2017, 11, 1, 15, 0, tzinfo=UTC)
    assert (result.value, result.unit) == (5.9, "ug/L")


@respx.mock
async def test_results_dated_before_their_search_are_left_out(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(json=sample("pathology_response1.json"))

    record = await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN, since=date(2020, 1, 1)))

    assert record.observations == []


@respx.mock
async def test_codes_sent_with_stray_spaces_still_match(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(json=sample("uncategorised_response1.json"))
    respiratory_rate = Coding(SNOMED, "86290005")

    record = await gp.fetch_record(MEDICATION_PATIENT, query(respiratory_rate))

    [result] = record.observations
    assert result.codings[0].code == "86290005"
    assert (result.value, result.unit) == (16.0, "{resps}/min")


@respx.mock
async def test_the_ucum_code_is_preferred_to_the_unit_text(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(json=sample("uncategorised_response1.json"))

    record = await gp.fetch_record(MEDICATION_PATIENT, query(Coding(SNOMED, "703421000")))

    assert record.observations[0].unit == "Cel"


@respx.mock
async def test_the_samples_haemoglobin_of_142_g_per_dl_is_dropped_as_a_wrong_magnitude(
    gp: GpConnectSource,
) -> None:
    respx.post(OPERATION).respond(json=sample("pathology_response1.json"))

    record = normalised(await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN)))

    assert record.series("haemoglobin") == []
    assert record.dropped_implausible == 1
    assert record.sources[0].status == "ok"


@respx.mock
async def test_medication_statements_become_medications_named_by_their_medication(
    gp: GpConnectSource,
) -> None:
    respx.post(OPERATION).respond(json=sample("meds_response.json"))

    record = await gp.fetch_record(MEDICATION_PATIENT, query(HAEMOGLOBIN))

    assert [(m.name, m.status, m.authored_on, m.dosage) for m in record.medications] == [
        ("Amoxicillin 250mg capsules", "completed", date(2016, 5, 10), "TAKE ONE DAILY"),
        ("Amoxicillin 250mg capsules", "completed", date(2016, 5, 10), "TAKE ONE DAILY"),
        ("Aspirin 75mg dispersible tablets", "active", date(2016, 8, 11), "TAKE ONE DAILY"),
    ]
    assert record.medications[2].codings == (Coding(SNOMED, "319773006", "Aspirin 75mg dispersible tablets"),)


@respx.mock
async def test_the_patient_comes_from_the_bundle(gp: GpConnectSource) -> None:
    respx.post(OPERATION).respond(json=sample("meds_response.json"))

    record = await gp.fetch_record(MEDICATION_PATIENT, query(HAEMOGLOBIN))

    patient = record.patient
    assert (patient.nhs_number, patient.name, patient.birth_date, patient.sex) == (
        MEDICATION_PATIENT,
        "Jane Jackson",
        date(1952, 5, 31),
        Sex.FEMALE,
    )
    assert (record.practice_ods, record.adapter) == ("B82617", "gp-connect")


@respx.mock
async def test_find_patient_asks_for_the_patient_alone(gp: GpConnectSource) -> None:
    route = respx.post(OPERATION).respond(json=sample("meds_response.json"))

    patient = await gp.find_patient(MEDICATION_PATIENT)

    assert patient.name == "Jane Jackson"
    assert parameter_names(sent_body(route)) == ["patientNHSNumber"]


def with_entries(bundle: dict[str, Any], *resources: dict[str, Any]) -> dict[str, Any]:
    extended = copy.deepcopy(bundle)
    extended["entry"].extend({"resource": resource} for resource in resources)
    return extended


@respx.mock
async def test_problems_become_conditions(gp: GpConnectSource) -> None:
    problem = {
        "resourceType": "Condition",
        "id": "problem-1",
        "clinicalStatus": "active",
        "verificationStatus": "confirmed",
        "code": {"coding": [{"system": SNOMED, "code": "709044004", "display": "Chronic kidney disease"}]},
        "onsetDateTime": "2018-02-14",
    }
    respx.post(OPERATION).respond(json=with_entries(sample("meds_response.json"), problem))

    record = await gp.fetch_record(MEDICATION_PATIENT, query(HAEMOGLOBIN))

    [condition] = record.conditions
    assert condition.codings == (Coding(SNOMED, "709044004", "Chronic kidney disease"),)
    assert (condition.clinical_status, condition.verification_status) == ("active", "confirmed")
    assert condition.onset == date(2018, 2, 14)


@respx.mock
async def test_a_blood_pressure_reading_keeps_its_systolic_and_diastolic_components(
    gp: GpConnectSource,
) -> None:
    reading = {
        "resourceType": "Observation",
        "id": "bp-1",
        "status": "final",
        "code": {
            "coding": [{"system": SNOMED, "code": "163020007", "display": "O/E - blood pressure reading"}]
        },
        "effectiveDateTime": "2023-11-02T10:15:00+00:00",
        "component": [
            {
                "code": {"coding": [{"system": SNOMED, "code": "72313002"}]},
                "valueQuantity": {"value": 146, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org"},
            },
            {
                "code": {"coding": [{"system": SNOMED, "code": "1091811000000102"}]},
                "valueQuantity": {"value": 91, "unit": "mm[Hg]"},
            },
        ],
    }
    respx.post(OPERATION).respond(json=with_entries(sample("uncategorised_response1.json"), reading))
    components = (Coding(SNOMED, "72313002"), Coding(SNOMED, "1091811000000102"))

    record = await gp.fetch_record(MEDICATION_PATIENT, query(*components))

    [blood_pressure] = normalised(record).blood_pressures
    assert (blood_pressure.systolic, blood_pressure.diastolic) == (146.0, 91.0)


@respx.mock
async def test_a_result_labelled_restricted_is_flagged_confidential(gp: GpConnectSource) -> None:
    bundle = sample("pathology_response1.json")
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == "770b982d-be09-4744-a5d7-54e757947ffe":
            entry["resource"]["meta"]["security"] = [
                {"system": "http://hl7.org/fhir/v3/Confidentiality", "code": "R"}
            ]
    respx.post(OPERATION).respond(json=bundle)

    record = await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN))

    assert record.observations[0].confidential


WARNING_URL = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1"


@respx.mock
async def test_list_warning_codes_become_readable_warnings(gp: GpConnectSource) -> None:
    bundle = sample("pathology_response1.json")
    [results_list] = [
        entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == "List"
    ]
    results_list["extension"] = [
        {"url": WARNING_URL, "valueCode": "confidential-items"},
        {"url": WARNING_URL, "valueCode": "data-in-transit"},
        {"url": WARNING_URL, "valueCode": "data-awaiting-filing"},
    ]
    respx.post(OPERATION).respond(json=bundle)

    record = await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN))

    assert record.upstream_warnings == [
        "GP Connect: items excluded due to confidentiality and/or patient preferences "
        "(Investigations and Results)",
        "GP Connect: patient record transfer from the previous GP practice not yet complete; "
        "earlier information may be missing (Investigations and Results)",
        "GP Connect: some items in the practice workflow have not been reviewed for inclusion; "
        "information may be missing (Investigations and Results)",
    ]
    assert record.withheld_upstream == 0


@respx.mock
async def test_an_area_the_practice_system_does_not_support_makes_the_record_partial(
    gp: GpConnectSource,
) -> None:
    not_supported = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "warning",
                "code": "not-supported",
                "details": {
                    "coding": [
                        {
                            "system": "https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1",
                            "code": "NOT_IMPLEMENTED",
                        }
                    ]
                },
                "diagnostics": "includeInvestigations is an unrecognised parameter",
            }
        ],
    }
    respx.post(OPERATION).respond(json=with_entries(sample("meds_response.json"), not_supported))

    record = normalised(await gp.fetch_record(MEDICATION_PATIENT, query(HAEMOGLOBIN)))

    assert record.sources[0].status == "partial"
    assert record.sources[0].detail == "failed: investigations (not supported by the practice system)"


@respx.mock
async def test_a_test_group_header_coded_like_its_result_is_not_read_as_a_result(gp: GpConnectSource) -> None:
    bundle = sample("pathology_response1.json")
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == "dacb177a-9501-4dcc-8b22-b941791ae0db":
            entry["resource"]["code"] = {"coding": [{"system": SNOMED, "code": "1022431000000105"}]}
    respx.post(OPERATION).respond(json=bundle)

    record = await gp.fetch_record(PATHOLOGY_PATIENT, query(HAEMOGLOBIN))

    assert [result.resource_id for result in record.observations] == ["770b982d-be09-4744-a5d7-54e757947ffe"]


@respx.mock
async def test_a_warning_code_sent_in_an_operation_outcome_is_readable_too(gp: GpConnectSource) -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "warning",
                "code": "informational",
                "details": {"coding": [{"system": "https://example.nhs.uk/w", "code": "data-in-transit"}]},
            }
        ],
    }
    respx.post(OPERATION).respond(json=with_entries(sample("meds_response.json"), outcome))

    record = await gp.fetch_record(MEDICATION_PATIENT, query(HAEMOGLOBIN))

    assert record.upstream_warnings == [
        "GP Connect: patient record transfer from the previous GP practice not yet complete; "
        "earlier information may be missing"
    ]
    assert record.failures == []
