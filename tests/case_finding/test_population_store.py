"""The population store: lines grouped by patient from their bytes, each patient's lines parsed once, and a
kept population read on from only under the needs it was kept for."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.case_finding.relevance import relevant_lines
from app.case_finding.spill import (
    OWN_ID,
    SUBJECT,
    PatientSpill,
    open_population,
    own_id,
    parsed_lines,
    subject_reference,
)
from app.specialties.registry import SPECIALTIES, analyte_catalogue
from schemas.bulk import BulkLine
from tests.support.fhir_factory import UK, patient, result

WHEN = datetime(2026, 11, 1, 9, tzinfo=UTC)


def _read_back(
    spill: PatientSpill, only: set[str] | None = None
) -> list[tuple[dict[str, Any], list[dict[str, Any]], int]]:
    """Each stored patient parsed as examining parses them: the Patient, the resources about them, and how
    many of their lines could not be parsed."""
    return [(orjson.loads(patient), *parsed_lines(lines)) for patient, lines in spill.stored_patients(only)]


def _line(resource_type: str, body: bytes) -> BulkLine:
    return BulkLine(resource_type, body, "export.ndjson", 1)


def test_lines_are_grouped_by_the_patient_their_bytes_name_whatever_the_spacing() -> None:
    first, second = (
        patient("9434765919", birth_date="1960-01-01", gender="female"),
        patient("9434765870", birth_date="1970-01-01", gender="male"),
    )
    spaced = (
        b'{ "resourceType" : "Condition", "id": "c1", '
        b'"subject" : { "display": "x", "reference" : "Patient/%s" } }'
    )
    contained = {
        "resourceType": "Observation",
        "id": "o9",
        "contained": [{"resourceType": "Patient", "id": "other"}],
        "subject": {"reference": f"Patient/{second['id']}"},
    }
    with PatientSpill() as spill:
        spill.add(_line("Patient", orjson.dumps(first)))
        spill.add(_line("Patient", orjson.dumps(second)))
        spill.add(_line("Condition", spaced % first["id"].encode()))
        spill.add(_line("Observation", orjson.dumps(contained)))
        spill.add(
            _line("Observation", b'{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/')
        )
        spill.add(_line("Observation", b'{"resourceType":"Observation","id":"lost"}'))

        read = {
            p["id"]: ([r["id"] for r in resources], unreadable)
            for p, resources, unreadable in _read_back(spill)
        }

    assert read == {first["id"]: (["c1"], 0), second["id"]: (["o9"], 0)}


def test_a_line_that_is_not_json_is_left_out_of_its_patients_record_and_counted() -> None:
    who = patient("9434765919", birth_date="1960-01-01", gender="female")
    broken = (
        b'{"resourceType":"Observation","id":"o2","subject":{"reference":"Patient/%s"},"value'
        % who["id"].encode()
    )
    with PatientSpill() as spill:
        spill.add(_line("Patient", orjson.dumps(who)))
        spill.add(_line("Observation", orjson.dumps(result(who["id"], 1, UK["acr"], "2026-10-01", 5))))
        spill.add(_line("Observation", broken))

        [(_, resources, unreadable)] = list(_read_back(spill))

    assert [r["id"] for r in resources] == [f"obs-{UK['acr'].code}-1"]
    assert unreadable == 1


def test_observations_no_analyte_of_the_specialty_reads_are_not_kept() -> None:
    relevant = relevant_lines(SPECIALTIES["nephrology"].needs, analyte_catalogue())
    acr = orjson.dumps(result("p1", 1, UK["acr"], "2026-10-01", 5))
    spaced_code = acr.replace(
        f'"code":"{UK["acr"].code}"'.encode(), f'"code" : " {UK["acr"].code} "'.encode()
    )
    unread = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "0"}]},
    }

    assert relevant(_line("Observation", acr))
    assert relevant(_line("Observation", spaced_code))
    assert not relevant(_line("Observation", orjson.dumps(unread)))
    assert relevant(_line("Condition", orjson.dumps(unread | {"resourceType": "Condition"})))


def test_a_kept_population_is_read_on_from_only_under_the_needs_it_was_kept_for(tmp_path: Path) -> None:
    kept = tmp_path / "A11111-nephrology.sqlite3"
    with open_population(kept, kept_for="codes-1") as population:
        assert population.kept_transaction_time is None
        population.start(incremental=False)
        population.keep(WHEN)

    with open_population(kept, kept_for="codes-1") as population:
        assert population.kept_transaction_time == WHEN
    with open_population(kept, kept_for="codes-2") as population:
        assert population.kept_transaction_time is None


def test_changes_left_unkept_leave_the_kept_population_as_it_was(tmp_path: Path) -> None:
    kept = tmp_path / "A11111-nephrology.sqlite3"
    who = patient("9434765919", birth_date="1960-01-01", gender="female")
    with open_population(kept) as population:
        population.start(incremental=False).add(_line("Patient", orjson.dumps(who)))
        population.keep(WHEN)

    with open_population(kept) as population:
        changes = population.start(incremental=True)
        changes.add(
            BulkLine(
                "Bundle", orjson.dumps({"entry": [{"fullUrl": f"Patient/{who['id']}"}]}), "d", 1, deleted=True
            )
        )
        assert len(changes.deleted_patients) == 1
        # The run fails here: nothing is kept.

    with open_population(kept) as population:
        assert population.kept_transaction_time == WHEN
        assert [p["id"] for p, _, _ in _read_back(population.start(incremental=True))] == [who["id"]]


def _naming(request_id: str, patient_id: str, reference: str) -> bytes:
    return orjson.dumps(
        {
            "resourceType": "MedicationRequest",
            "id": request_id,
            "status": "active",
            "medicationReference": {"reference": reference},
            "subject": {"reference": f"Patient/{patient_id}"},
        }
    )


def _medication(medication_id: str, name: str) -> bytes:
    return orjson.dumps({"resourceType": "Medication", "id": medication_id, "code": {"text": name}})


def test_a_medication_is_read_back_with_each_patient_whose_requests_name_it() -> None:
    first, second, third = (
        patient(number, birth_date="1960-01-01", gender="female")
        for number in ("9434765919", "9434765870", "9434765889")
    )
    with PatientSpill() as spill:
        for who in (first, second, third):
            spill.add(_line("Patient", orjson.dumps(who)))
        spill.add(_line("MedicationRequest", _naming("r1", first["id"], "Medication/m1")))
        spill.add(
            _line("MedicationRequest", _naming("r2", second["id"], "https://gp.example/fhir/Medication/m1"))
        )
        spill.add(_line("MedicationRequest", _naming("r3", second["id"], "Medication/m2")))
        spill.add(_line("MedicationRequest", _naming("r4", third["id"], "Medication/not-sent")))
        spill.add(_line("Medication", _medication("m1", "Indapamide 2.5mg tablets")))
        spill.add(_line("Medication", _medication("m2", "Ramipril 5mg capsules")))
        spill.add(_line("Medication", _medication("unnamed", "Aspirin 75mg tablets")))

        read = {p["id"]: sorted(r["id"] for r in resources) for p, resources, _ in _read_back(spill)}

    assert read == {
        first["id"]: ["m1", "r1"],
        second["id"]: ["m1", "m2", "r2", "r3"],
        third["id"]: ["r4"],
    }
    assert spill.unplaced == 0


def test_a_medication_sent_again_by_a_later_export_replaces_the_kept_one(tmp_path: Path) -> None:
    kept = tmp_path / "A11111-nephrology.sqlite3"
    who = patient("9434765919", birth_date="1960-01-01", gender="female")
    with open_population(kept) as population:
        spill = population.start(incremental=False)
        spill.add(_line("Patient", orjson.dumps(who)))
        spill.add(_line("MedicationRequest", _naming("r1", who["id"], "Medication/m1")))
        spill.add(_line("Medication", _medication("m1", "Indapamide 2.5mg tablets")))
        population.keep(WHEN)

    with open_population(kept) as population:
        changes = population.start(incremental=True)
        changes.add(_line("MedicationRequest", _naming("r1", who["id"], "Medication/m1")))
        changes.add(_line("Medication", _medication("m1", "Indapamide 1.5mg modified-release tablets")))
        [(_, resources, _)] = list(_read_back(changes, changes.touched))

    names = [r["code"]["text"] for r in resources if r["resourceType"] == "Medication"]
    assert names == ["Indapamide 1.5mg modified-release tablets"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p1"}}',
        b'{"resourceType":"Observation","id":"o1","subject":{"reference":"https://gp.example/fhir/Patient/p1"}}',
        b'{"resourceType":"Observation","id":"o1","subject" : { "reference" : "Patient/p1" }}',
        b'{"resourceType":"Observation","id":"o1","patient":{"reference":"Patient/p2"},'
        b'"subject":{"reference":"Patient/p1"}}',
        b'{"resourceType":"Observation","id":"o1","subject":{"display":"x","reference":"Patient/p1"}}',
        b'{"resourceType":"Observation","id":"o\\"1","subject":{"reference":"Patient/p\\"1"}}',
        b'{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p1',
        b'{"resourceType":"Observation","id":"o1","subject":{"reference":',
        b'{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"}}',
        b'{"resourceType":"Observation","id":12,"subject":{"reference":"Patient/p1"}}',
        b'{"resourceType":"Observation","id":"' + b"x" * 65 + b'","subject":{"reference":"Patient/p1"}}',
        b' { "resourceType" : "Observation" , "id" : "o1" }',
        b'{"resourceType":"Observation","status":"final","id":"o1"}',
    ],
)
def test_a_lines_patient_and_id_are_read_from_its_bytes_as_the_full_patterns_read_them(body: bytes) -> None:
    subject = SUBJECT.search(body)
    own = OWN_ID.match(body)

    assert subject_reference(body) == (subject[1] if subject else None)
    assert own_id(body, "Observation") == (own[1].decode() if own else None)
