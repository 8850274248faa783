"""UK-coded (SNOMED, mmol/L) and US-coded (LOINC, mg/dL) twins of one record, normalised through the analyte
catalogue as the app reads them, give identical facts and criteria."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.records.normalise import normalise_record
from app.specialties.lipids.criteria import referral_criteria
from app.specialties.lipids.facts import LipidFacts
from app.specialties.lipids.plugin import lipid_facts
from schemas.clinical import (
    LOINC,
    SNOMED,
    ClinicalRecord,
    Coding,
    Sex,
    SourceCondition,
    SourceObservation,
    SourcePatient,
    SourceRecord,
)
from tests.specialties.lipids.lipid_builders import LIPIDS

TAKEN = datetime(2024, 6, 1, 9, tzinfo=UTC)
MI = SourceCondition("c1", (Coding(SNOMED, "22298006", "Myocardial infarction"),), "active", None, None)
# (SNOMED older-generation code, LOINC mass code) of total cholesterol, HDL and triglyceride.
UK = (
    ("1005671000000105", 8.2, "mmol/L"),
    ("1005681000000107", 1.2, "mmol/L"),
    ("1005691000000109", 1.7, "mmol/L"),
)
US = (("2093-3", 317, "mg/dL"), ("2085-9", 46, "mg/dL"), ("2571-8", 151, "mg/dL"))


def _record(results: tuple[tuple[str, float, str | None], ...], system: str) -> ClinicalRecord:
    source = SourceRecord(
        "A12345",
        "fhir-r4",
        SourcePatient("p1", "9434765919", "Test Patient", date(1996, 3, 1), Sex.FEMALE),
        observations=[
            SourceObservation(f"o{i}", (Coding(system, code),), "final", TAKEN, value, unit)
            for i, (code, value, unit) in enumerate(results)
        ],
        conditions=[MI],
    )
    return normalise_record(source, LIPIDS)


def _facts(record: ClinicalRecord) -> LipidFacts:
    return lipid_facts(record, date(2025, 1, 1))


def test_uk_and_us_twins_give_identical_numbers_and_criteria() -> None:
    uk, us = _facts(_record(UK, SNOMED)), _facts(_record(US, LOINC))
    assert uk.lipids == us.lipids
    assert [r.value for r in uk.lipids.ldl] == [6.2]
    assert [r.value for r in uk.lipids.non_hdl] == [7.0]
    assert referral_criteria(uk) == referral_criteria(us)


def test_the_twin_meets_the_under_30_search_and_the_secondary_prevention_target() -> None:
    met = {c.code for c in referral_criteria(_facts(_record(UK, SNOMED))) if c.status == "met"}
    assert met == {"tc-over-7.5-under-30", "secondary-prevention-above-target"}


def test_a_result_without_a_unit_is_left_out_with_a_warning() -> None:
    record = _record((("2571-8", 35, None),), LOINC)
    assert _facts(record).lipids.triglycerides == ()
    assert any("triglycerides" in warning and "no unit" in warning for warning in record.warnings)
