"""UK-coded (mmol/L) and US-coded (mg/dL) twins of one record give identical facts and criteria."""

from __future__ import annotations

from datetime import date

from app.specialties.lipids.criteria import referral_criteria
from app.specialties.lipids.facts import LipidFacts
from app.specialties.lipids.record_facts import ReportedLipid, lipid_facts
from app.specialties.lipids.units import Lipid
from schemas.clinical import SNOMED, Coding, Condition, Patient, Provenance, Sex

PATIENT = Patient("9434765919", "Test Patient", date(1996, 3, 1), Sex.FEMALE)
SOURCE = Provenance("A12345", "fhir-r4", "res-1", Coding(SNOMED, "x"), None)
MI = Condition(
    (Coding(SNOMED, "22298006", "Myocardial infarction"),), None, "active", date(2021, 5, 1), SOURCE
)
DAY = date(2024, 6, 1)

UK = {
    Lipid.TOTAL_CHOLESTEROL: [ReportedLipid(DAY, 8.2, "mmol/L")],
    Lipid.HDL: [ReportedLipid(DAY, 1.2, "mmol/L")],
    Lipid.TRIGLYCERIDES: [ReportedLipid(DAY, 1.7, "mmol/L")],
}
US = {
    Lipid.TOTAL_CHOLESTEROL: [ReportedLipid(DAY, 317, "mg/dL")],
    Lipid.HDL: [ReportedLipid(DAY, 46, "mg/dL")],
    Lipid.TRIGLYCERIDES: [ReportedLipid(DAY, 151, "mg/dL")],
}


def _facts(results: dict[Lipid, list[ReportedLipid]]) -> tuple[LipidFacts, list[str]]:
    return lipid_facts(
        today=date(2025, 1, 1),
        patient=PATIENT,
        results=results,
        conditions=[MI],
        medications=[],
        record_complete=True,
    )


def test_uk_and_us_twins_give_identical_numbers_and_criteria() -> None:
    uk, uk_warnings = _facts(UK)
    us, us_warnings = _facts(US)
    assert uk.lipids == us.lipids
    assert [r.value for r in uk.lipids.ldl] == [6.2]
    assert [r.value for r in uk.lipids.non_hdl] == [7.0]
    assert referral_criteria(uk) == referral_criteria(us)
    assert uk_warnings == us_warnings == []


def test_the_twin_meets_the_under_30_search_and_the_secondary_prevention_target() -> None:
    met = {c.code for c in referral_criteria(_facts(UK)[0]) if c.status == "met"}
    assert met == {"tc-over-7.5-under-30", "secondary-prevention-above-target"}


def test_a_result_without_a_unit_is_left_out_with_a_warning() -> None:
    facts, warnings = _facts({Lipid.TRIGLYCERIDES: [ReportedLipid(DAY, 35, None)]})
    assert facts.lipids.triglycerides == ()
    assert warnings == ["triglycerides 35 on 2024-06-01 left out: unit None"]
