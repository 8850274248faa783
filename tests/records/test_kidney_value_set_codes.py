"""Every code the shared eGFR, creatinine and ACR value sets accept reads a result into its analyte's series.

The codes are taken from the value-set files themselves, so a code added to a file is covered here at once.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from schemas.clinical import Coding, Sex, SourceObservation, SourcePatient, SourceRecord
from tests.support.catalogue import normalised

VALUE_SETS = Path(__file__).parents[2] / "app" / "specialties" / "analytes" / "value_sets"
# A plausible result for each analyte in a unit its value set's results arrive in.
RESULTS = {"egfr": (52.0, "mL/min/1.73m2"), "creatinine": (118.0, "umol/L"), "acr": (4.2, "mg/mmol")}
PATIENT = SourcePatient("pat-1", "9434765919", None, date(1953, 2, 19), Sex.FEMALE)


def _codes(analyte: str) -> list[tuple[str, str]]:
    compose = json.loads((VALUE_SETS / f"{analyte}.json").read_text())["compose"]
    return [(part["system"], concept["code"]) for part in compose["include"] for concept in part["concept"]]


CASES = [(analyte, system, code) for analyte in RESULTS for system, code in _codes(analyte)]


@pytest.mark.parametrize(("analyte", "system", "code"), CASES, ids=[f"{a}-{c}" for a, _, c in CASES])
def test_a_result_coded_with_each_accepted_code_is_read(analyte: str, system: str, code: str) -> None:
    value, unit = RESULTS[analyte]
    observation = SourceObservation(
        "obs-1", (Coding(system, code),), "final", datetime(2024, 5, 1, tzinfo=UTC), value, unit
    )
    record = normalised(SourceRecord("A11111", "fhir-r4", PATIENT, observations=[observation]))
    (measurement,) = record.series(analyte)
    assert (measurement.value, measurement.provenance.code.code) == (value, code)
    assert record.warnings == []


def test_each_analyte_has_both_snomed_and_loinc_codes() -> None:
    for analyte in RESULTS:
        assert {system for system, _ in _codes(analyte)} == {"http://snomed.info/sct", "http://loinc.org"}
