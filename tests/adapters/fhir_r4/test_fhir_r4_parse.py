"""The lean FHIR R4 parser: the fields we use, read right, and anything malformed skipped and counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from adapters.errors import UpstreamBadResponse
from adapters.fhir_r4 import parse
from schemas.clinical import LOINC, NHS_NUMBER_SYSTEM, SNOMED, Coding, Sex, SourceQuantity

UCUM = "http://unitsofmeasure.org"


def observation(**fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": SNOMED, "code": "1011481000000105", "display": "eGFR"}]},
        "effectiveDateTime": "2024-01-02T09:15:00+00:00",
    }
    resource.update(fields)
    return resource


def one(resource: dict[str, Any]) -> Any:
    parsed = parse.observations([resource])
    assert parsed.skipped == 0
    return parsed.items[0]


# --- searchset ----------------------------------------------------------------------------------------------


def test_a_searchset_gives_its_resources_and_next_link() -> None:
    body = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [{"relation": "self", "url": "a"}, {"relation": "next", "url": "b"}],
        "entry": [{"resource": observation()}, {"resource": observation(id="o2")}],
    }

    page = parse.searchset("practice A12345", body)

    assert [r["id"] for r in page.resources] == ["o1", "o2"]
    assert page.next_url == "b"


def test_an_empty_searchset_has_no_resources_and_no_next_page() -> None:
    page = parse.searchset("practice A12345", {"resourceType": "Bundle", "type": "searchset", "total": 0})

    assert (page.resources, page.next_url) == ([], None)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "Bundle",
        {"resourceType": "OperationOutcome"},
        {"resourceType": "Bundle", "entry": "none"},
        {"resourceType": "Bundle", "link": {"relation": "next"}},
        {"resourceType": "Bundle", "link": [{"relation": "next", "url": 7}]},
    ],
)
def test_a_body_that_is_not_a_readable_bundle_is_a_bad_response(body: Any) -> None:
    with pytest.raises(UpstreamBadResponse):
        parse.searchset("practice A12345", body)


def test_entries_without_a_resource_are_counted_not_fatal() -> None:
    body = {"resourceType": "Bundle", "entry": [{"resource": observation()}, {"fullUrl": "x"}, "junk"]}

    parsed = parse.observations(parse.searchset("practice A12345", body).resources)

    assert (len(parsed.items), parsed.skipped) == (1, 1)


# --- Observation --------------------------------------------------------------------------------------------


def test_an_observation_keeps_its_codes_status_time_and_value() -> None:
    quantity = {"value": 41.6, "unit": "mL/min/1.73m2", "system": UCUM, "code": "mL/min/{1.73_m2}"}

    result = one(observation(valueQuantity=quantity))

    assert result.resource_id == "o1"
    assert result.codings == (Coding(SNOMED, "1011481000000105", "eGFR"),)
    assert result.status == "final"
    assert result.effective == datetime(2024, 1, 2, 9, 15, tzinfo=UTC)
    assert (result.value, result.unit, result.comparator) == (41.6, "mL/min/{1.73_m2}", None)
    assert result.confidential is False


def test_the_unit_text_is_used_when_the_quantity_has_no_ucum_code() -> None:
    result = one(observation(valueQuantity={"value": 150, "unit": "µmol/L"}))

    assert (result.value, result.unit) == (150.0, "µmol/L")


def test_a_comparator_is_kept() -> None:
    result = one(observation(valueQuantity={"value": 90, "comparator": ">", "unit": "mL/min/1.73m2"}))

    assert (result.value, result.comparator) == (90.0, ">")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"effectiveDateTime": "2024-01-02"}, datetime(2024, 1, 2, tzinfo=UTC)),
        ({"effectiveDateTime": "2024-05"}, datetime(2024, 5, 1, tzinfo=UTC)),
        ({"effectiveDateTime": "2024"}, datetime(2024, 1, 1, tzinfo=UTC)),
        ({"effectiveDateTime": "2024-01-02T09:15:00Z"}, datetime(2024, 1, 2, 9, 15, tzinfo=UTC)),
        ({"effectiveDateTime": "2024-07-02T09:15:00"}, datetime(2024, 7, 2, 9, 15, tzinfo=UTC)),
        (
            {"effectiveDateTime": "2024-07-02T09:15:00.123+01:00"},
            datetime(2024, 7, 2, 9, 15, 0, 123000, tzinfo=timezone(timedelta(hours=1))),
        ),
        (
            {"effectiveDateTime": None, "effectivePeriod": {"start": "2023-03-04T10:00:00Z"}},
            datetime(2023, 3, 4, 10, tzinfo=UTC),
        ),
        (
            {"effectiveDateTime": None, "issued": "2023-03-05T08:00:00.000+00:00"},
            datetime(2023, 3, 5, 8, tzinfo=UTC),
        ),
        ({"effectiveDateTime": None}, None),
    ],
)
def test_times_are_always_timezone_aware(fields: dict[str, Any], expected: datetime | None) -> None:
    result = one(observation(**fields))

    assert result.effective == expected
    assert result.effective is None or result.effective.tzinfo is not None


def test_a_blood_pressure_panel_keeps_its_components() -> None:
    components = [
        {
            "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
            "valueQuantity": {"value": 142, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
        },
        {
            "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
            "dataAbsentReason": {"text": "not taken"},
        },
    ]

    result = one(observation(code={"coding": [{"system": LOINC, "code": "85354-9"}]}, component=components))

    assert result.value is None
    assert result.components == (
        SourceQuantity((Coding(LOINC, "8480-6"),), 142.0, "mm[Hg]"),
        SourceQuantity((Coding(LOINC, "8462-4"),), None, None),
    )


def test_a_coded_value_is_kept() -> None:
    concept = {"coding": [{"system": SNOMED, "code": "167297006", "display": "Urine blood test = +"}]}

    result = one(observation(valueCodeableConcept=concept))

    assert result.value_codings == (Coding(SNOMED, "167297006", "Urine blood test = +"),)


@pytest.mark.parametrize(("code", "confidential"), [("R", True), ("V", True), ("N", False)])
def test_restricted_and_very_restricted_items_are_confidential(code: str, confidential: bool) -> None:
    meta = {
        "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": code}]
    }

    assert one(observation(meta=meta)).confidential is confidential


def test_codings_without_system_or_code_are_dropped_but_the_others_kept() -> None:
    code = {"coding": [{"code": "local-1"}, {"system": LOINC, "code": "33914-3"}], "text": "eGFR"}

    assert one(observation(code=code)).codings == (Coding(LOINC, "33914-3"),)


def test_each_distinct_coding_is_built_once_per_parse() -> None:
    parsed = parse.observations([observation(id="a"), observation(id="b")])

    assert parsed.items[0].codings is parsed.items[1].codings


@pytest.mark.parametrize(
    "broken",
    [
        {"id": 7},
        {"id": ""},
        {"status": None},
        {"code": None},
        {"code": {"coding": {"system": LOINC}}},
        {"code": {"coding": [{"system": LOINC, "code": "33914-3", "display": 5}]}},
        {"valueQuantity": {"value": "41.6"}},
        {"valueQuantity": {"value": True}},
        {"valueQuantity": {"value": 41.6, "unit": ["mL"]}},
        {"effectiveDateTime": "yesterday"},
        {"effectiveDateTime": 20240102},
        {"component": [{"valueQuantity": {"value": 1}}]},
        {"meta": {"security": "R"}},
    ],
)
def test_a_malformed_observation_is_skipped_and_counted(broken: dict[str, Any]) -> None:
    parsed = parse.observations([observation(id="good"), observation(**broken), "not a resource", None])

    assert [o.resource_id for o in parsed.items] == ["good"]
    assert parsed.skipped == 3


def test_other_resource_types_are_ignored_not_counted() -> None:
    parsed = parse.observations([{"resourceType": "OperationOutcome"}, observation()])

    assert (len(parsed.items), parsed.skipped) == (1, 0)


# --- medications --------------------------------------------------------------------------------------------


def request(**fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "MedicationRequest", "id": "m1", "status": "active"}
    resource.update(fields)
    return resource


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"medicationCodeableConcept": {"text": "Ramipril 5mg capsules"}}, "Ramipril 5mg capsules"),
        (
            {
                "medicationCodeableConcept": {
                    "coding": [{"system": SNOMED, "code": "1", "display": "Losartan"}]
                }
            },
            "Losartan",
        ),
        (
            {
                "contained": [
                    {"resourceType": "Medication", "id": "med", "code": {"text": "Dapagliflozin 10mg"}}
                ],
                "medicationReference": {"reference": "#med"},
            },
            "Dapagliflozin 10mg",
        ),
        ({"medicationReference": {"reference": "Medication/x1"}}, "Amlodipine 10mg tablets"),
        (
            {"medicationReference": {"reference": "https://gp.example/fhir/Medication/x1"}},
            "Amlodipine 10mg tablets",
        ),
        ({"medicationReference": {"reference": "Medication/gone", "display": "Metformin"}}, "Metformin"),
    ],
    ids=["text", "coding-display", "contained", "included", "included-absolute", "reference-display"],
)
def test_a_medication_is_named_from_wherever_the_practice_put_the_name(
    fields: dict[str, Any], name: str
) -> None:
    included = {"resourceType": "Medication", "id": "x1", "code": {"text": "Amlodipine 10mg tablets"}}

    parsed = parse.medications([request(**fields), included])

    assert [m.name for m in parsed.items] == [name]


def test_a_medication_request_keeps_status_date_and_dosage() -> None:
    concept = {"coding": [{"system": SNOMED, "code": "408051007", "display": "Ramipril 5mg capsules"}]}
    fields = {"authoredOn": "2024-03-01T10:00:00+00:00", "dosageInstruction": [{"text": "One daily"}]}

    result = parse.medications([request(medicationCodeableConcept=concept, **fields)]).items[0]

    assert result.codings == (Coding(SNOMED, "408051007", "Ramipril 5mg capsules"),)
    assert (result.status, result.authored_on, result.dosage) == ("active", date(2024, 3, 1), "One daily")


def test_a_medication_statement_is_dated_by_its_effective_period() -> None:
    statement = {
        "resourceType": "MedicationStatement",
        "id": "s1",
        "status": "stopped",
        "medicationCodeableConcept": {"text": "Ibuprofen 400mg tablets"},
        "effectivePeriod": {"start": "2023-06-01", "end": "2023-09-01"},
        "dosage": [{"text": "As needed"}],
    }

    result = parse.medications([statement]).items[0]

    assert (result.name, result.status, result.authored_on, result.dosage) == (
        "Ibuprofen 400mg tablets",
        "stopped",
        date(2023, 6, 1),
        "As needed",
    )


def test_a_medication_without_any_name_is_skipped_and_counted() -> None:
    parsed = parse.medications([request(medicationReference={"reference": "Medication/unknown"})])

    assert (parsed.items, parsed.skipped) == ([], 1)


# --- Condition ----------------------------------------------------------------------------------------------


def condition(**fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": "c1",
        "code": {"coding": [{"system": SNOMED, "code": "28770003", "display": "ADPKD"}]},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "onsetDateTime": "2015-06-01T00:30:00+01:00",
    }
    resource.update(fields)
    return resource


def test_a_condition_keeps_code_statuses_and_the_onset_date_as_recorded() -> None:
    result = parse.conditions([condition()]).items[0]

    assert result.codings == (Coding(SNOMED, "28770003", "ADPKD"),)
    assert (result.clinical_status, result.verification_status) == ("active", "confirmed")
    assert result.onset == date(2015, 6, 1)


def test_a_condition_without_onset_is_dated_when_recorded() -> None:
    result = parse.conditions([condition(onsetDateTime=None, recordedDate="2019-02-03")]).items[0]

    assert result.onset == date(2019, 2, 3)


def test_a_condition_without_a_code_is_skipped_and_counted() -> None:
    parsed = parse.conditions([condition(code=None), condition(id="c2")])

    assert ([c.resource_id for c in parsed.items], parsed.skipped) == (["c2"], 1)


# --- Patient ------------------------------------------------------------------------------------------------


def patient(**fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [
            {"system": "urn:local", "value": "x"},
            {"system": NHS_NUMBER_SYSTEM, "value": "943 476 5919"},
        ],
        "name": [
            {"use": "usual", "given": ["Izzy"], "family": "Schaden"},
            {"use": "official", "given": ["Isaiah", "John"], "family": "Schaden"},
        ],
        "gender": "male",
        "birthDate": "1953-02-19",
    }
    resource.update(fields)
    return resource


def test_a_patient_has_the_nhs_number_official_name_birth_date_and_sex() -> None:
    result = parse.patient(patient(), NHS_NUMBER_SYSTEM)

    assert (result.resource_id, result.nhs_number) == ("p1", "9434765919")
    assert result.name == "Isaiah John Schaden"
    assert (result.birth_date, result.sex) == (date(1953, 2, 19), Sex.MALE)


def test_a_patient_name_may_be_text_only() -> None:
    assert (
        parse.patient(patient(name=[{"text": "SCHADEN, Isaiah"}]), NHS_NUMBER_SYSTEM).name
        == "SCHADEN, Isaiah"
    )


@pytest.mark.parametrize(
    ("gender", "sex"), [("female", Sex.FEMALE), ("other", Sex.OTHER), (None, Sex.UNKNOWN)]
)
def test_a_patient_sex_is_read_from_gender(gender: str | None, sex: Sex) -> None:
    assert parse.patient(patient(gender=gender), NHS_NUMBER_SYSTEM).sex is sex


@pytest.mark.parametrize(
    "broken",
    [
        {"identifier": [{"system": "urn:local", "value": "x"}]},
        {"identifier": [{"system": NHS_NUMBER_SYSTEM, "value": 9434765919}]},
        {"birthDate": "19th Feb"},
        {"name": [{"given": "Isaiah"}]},
        {"resourceType": "Practitioner"},
    ],
)
def test_an_unreadable_patient_raises_malformed_resource(broken: dict[str, Any]) -> None:
    with pytest.raises(parse.MalformedResourceError):
        parse.patient(patient(**broken), NHS_NUMBER_SYSTEM)
