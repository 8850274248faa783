"""The analyte catalogue: analytes as data, value sets as files, affine conversions, the unitless policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.records.analytes import AnalyteCatalogue, AnalyteDefinition, PlausibleRange, UnitConversion
from app.records.normalise import normalise_record
from app.records.value_sets import ValueSetError, load_value_set
from schemas.clinical import LOINC, SNOMED, Coding, Sex, SourceObservation, SourcePatient, SourceRecord

OLD_UK, NEW_UK, US = "1000000000000101", "1000000000000102", "99999-1"
WHEN = datetime(2026, 10, 2, 9, tzinfo=UTC)


def _value_set(directory: Path, name: str, includes: list[tuple[str, list[str]]]) -> str:
    path = directory / f"{name}.json"
    compose = {"include": [{"system": s, "concept": [{"code": c} for c in codes]} for s, codes in includes]}
    path.write_text(json.dumps({"resourceType": "ValueSet", "status": "active", "compose": compose}))
    return str(path)


def _analyte(directory: Path, **overrides: object) -> AnalyteDefinition:
    fields: dict[str, object] = {
        "code": "hba1c-test",
        "title": "HbA1c",
        "canonical_unit": "mmol/mol",
        "conversions": (
            UnitConversion(("mmol/mol",)),
            UnitConversion(("%",), scale=10.929, offset=-2.15, round_to=0),
        ),
        "plausible": PlausibleRange(15.0, 200.0, "assay range"),
        "value_sets": (_value_set(directory, "hba1c-test", [(SNOMED, [OLD_UK, NEW_UK]), (LOINC, [US])]),),
        "source": "test",
    }
    fields.update(overrides)
    return AnalyteDefinition(**fields)  # type: ignore[arg-type]


def _normalised(catalogue: AnalyteCatalogue, *results: tuple[Coding, float, str | None]) -> list[float]:
    patient = SourcePatient("p", "9434765919", None, None, Sex.UNKNOWN)
    observations = [
        SourceObservation(f"obs-{i}", (code,), "final", WHEN, value, unit)
        for i, (code, value, unit) in enumerate(results)
    ]
    record = normalise_record(SourceRecord("A12345", "test", patient, observations=observations), catalogue)
    return [m.value for m in record.series("hba1c-test")]


def test_both_generations_of_uk_codes_and_the_loinc_code_mean_the_analyte(tmp_path: Path) -> None:
    catalogue = AnalyteCatalogue([_analyte(tmp_path)])

    assert catalogue.analyte_for(SNOMED, OLD_UK) == "hba1c-test"
    assert catalogue.analyte_for(SNOMED, NEW_UK) == "hba1c-test"
    assert catalogue.analyte_for("urn:oid:2.16.840.1.113883.6.1", US) == "hba1c-test"
    assert {c.code for c in catalogue.codes_for("hba1c-test")} == {OLD_UK, NEW_UK, US}


def test_an_affine_conversion_is_rounded_as_the_laboratory_reports_it(tmp_path: Path) -> None:
    catalogue = AnalyteCatalogue([_analyte(tmp_path)])

    # (7.0 - 2.15) * 10.929 = 53.006..., reported as 53 mmol/mol.
    assert _normalised(catalogue, (Coding(LOINC, US), 7.0, "%")) == [53.0]
    assert _normalised(catalogue, (Coding(SNOMED, NEW_UK), 53.0, "mmol/mol")) == [53.0]


def test_a_result_without_a_unit_is_refused_with_a_warning_by_default(tmp_path: Path) -> None:
    catalogue = AnalyteCatalogue([_analyte(tmp_path)])
    patient = SourcePatient("p", "9434765919", None, None, Sex.UNKNOWN)
    observation = SourceObservation("obs-1", (Coding(SNOMED, OLD_UK),), "final", WHEN, 53.0, None)

    record = normalise_record(SourceRecord("A12345", "test", patient, observations=[observation]), catalogue)

    assert record.series("hba1c-test") == []
    assert record.warnings == ["hba1c-test: 1 result in an unrecognised unit (no unit) dropped"]


def test_an_analyte_may_allow_its_canonical_unit_to_be_assumed(tmp_path: Path) -> None:
    catalogue = AnalyteCatalogue([_analyte(tmp_path, unitless="assume-canonical")])

    assert _normalised(catalogue, (Coding(SNOMED, OLD_UK), 53.0, None)) == [53.0]


def test_one_analyte_declared_twice_differently_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="declared twice"):
        AnalyteCatalogue([_analyte(tmp_path), _analyte(tmp_path, title="Another HbA1c")])


def test_one_code_claimed_by_two_analytes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=OLD_UK):
        AnalyteCatalogue([_analyte(tmp_path), _analyte(tmp_path, code="other")])


def test_the_same_analyte_declared_by_two_specialties_is_held_once(tmp_path: Path) -> None:
    analyte = _analyte(tmp_path)
    assert list(AnalyteCatalogue([analyte, analyte]).definitions) == ["hba1c-test"]


def test_a_file_that_is_not_a_value_set_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"resourceType": "Bundle"}))
    with pytest.raises(ValueSetError, match="not a FHIR ValueSet"):
        load_value_set(str(path))


def test_a_value_set_with_no_codes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueSetError, match="no codes"):
        load_value_set(_value_set(tmp_path, "empty", []))
