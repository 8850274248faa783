"""Coded history and lipid-lowering medicines read from the record, by value set and by display text."""

from __future__ import annotations

from datetime import date

from app.specialties.lipids.coded import (
    CORONARY_HEART_DISEASE,
    TENDON_XANTHOMA,
    is_lipid_lowering,
    lipid_lowering,
    value_set_codes,
)
from schemas.clinical import LOINC, SNOMED, Coding, Condition, Medication, Provenance

SOURCE = Provenance("A12345", "fhir-r4", "res-1", Coding(SNOMED, "x"), None)


def _condition(code: str, display: str | None, onset: date | None = None) -> Condition:
    return Condition((Coding(SNOMED, code, display),), display, "active", onset, SOURCE)


def _medication(name: str, authored: date | None, status: str = "active") -> Medication:
    return Medication(name, (), status, authored, None, SOURCE)


def test_both_generations_of_uk_codes_are_in_the_value_sets() -> None:
    ldl = value_set_codes("ldl-cholesterol")
    assert {"1022191000000100", "1108551000000102"} <= ldl
    assert {"18262-6", "13457-7"} <= value_set_codes("ldl-cholesterol", LOINC)


def test_a_coded_myocardial_infarction_is_coronary_heart_disease() -> None:
    found = CORONARY_HEART_DISEASE.findings([_condition("22298006", None, date(2010, 1, 1))])
    assert [(f.label, f.onset) for f in found] == [("22298006", date(2010, 1, 1))]


def test_a_negated_display_does_not_count() -> None:
    assert not TENDON_XANTHOMA.findings([_condition("0", "No tendon xanthoma")])
    assert TENDON_XANTHOMA.findings([_condition("0", "Tendon xanthoma of Achilles")])


def test_statins_and_other_lipid_lowering_medicines_are_recognised() -> None:
    assert is_lipid_lowering("Atorvastatin 80mg tablets")
    assert is_lipid_lowering("Ezetimibe 10mg tablets")
    assert is_lipid_lowering("Repatha 140mg/1ml solution for injection pre-filled pens")
    assert not is_lipid_lowering("Nystatin 100,000 units/ml oral suspension")


def test_a_medicine_starts_at_its_earliest_date_and_unknown_dates_stay_unknown() -> None:
    dated = lipid_lowering(
        [_medication("Atorvastatin", date(2022, 1, 1)), _medication("Atorvastatin", date(2020, 1, 1))]
    )
    undated = lipid_lowering([_medication("Simvastatin", date(2022, 1, 1)), _medication("Simvastatin", None)])
    assert dated[0].started == date(2020, 1, 1)
    assert undated[0].started is None
