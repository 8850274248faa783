"""The heart-failure rules: NICE NG106's NT-proBNP bands, units, confounders, medicines and attachments."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.specialties.heart_failure.rules import (
    HeartFailureFacts,
    Medicine,
    Reading,
    band,
    case_finding,
    hf_drugs_without_diagnosis,
    hfref_gdmt_gaps,
    in_ng_per_l,
    missing_attachments,
    ntprobnp_criteria,
    outcome,
    reading,
    reading_band,
)
from app.specialties.heart_failure.value_sets import value_set
from schemas.clinical import LOINC, SNOMED, Coding

TODAY = date(2025, 6, 1)
TAKEN = date(2025, 5, 20)


def ng(value: float, comparator: str | None = None) -> Reading:
    return Reading(TAKEN, value, "ng/L", comparator)


def facts(*ntprobnp: Reading, **kwargs: object) -> HeartFailureFacts:
    return HeartFailureFacts(TODAY, ntprobnp=ntprobnp, **kwargs)  # type: ignore[arg-type]


def medicine(name: str, *classes: str, issued: date = date(2025, 5, 1)) -> Medicine:
    return Medicine(name, frozenset(classes), issued)


def met(results: list[object]) -> list[str]:
    return [r.code for r in results if r.status == "met"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (2001, "ng/L", "two-week"),
        (2000, "ng/L", "six-week"),
        (400, "ng/L", "six-week"),
        (399, "ng/L", "under-400"),
        (236.1, "pmol/L", "two-week"),
        (236, "pmol/L", "six-week"),
        (47, "pmol/L", "six-week"),
        (46.9, "pmol/L", "under-400"),
    ],
)
def test_nice_bands_with_2000_itself_on_the_six_week_pathway(value: float, unit: str, expected: str) -> None:
    assert band(value, unit) == expected


def test_236_pmol_per_l_is_1996_ng_per_l_and_stays_six_weeks_as_nice_pairs_236_with_2000() -> None:
    result = Reading(TAKEN, 236, "pmol/L")
    assert in_ng_per_l(result) == pytest.approx(1995.9, abs=0.05)
    assert reading_band(result) == "six-week"
    assert "236 pmol/L (1995.85 ng/L)" in ntprobnp_criteria(facts(result))[1].evidence


def test_bnp_pmol_per_l_converts_as_cg108_pairs_100_pg_per_ml_with_29() -> None:
    assert 100 / in_ng_per_l(Reading(TAKEN, 1, "pmol/L"), "bnp") == pytest.approx(29, abs=0.5)


@pytest.mark.parametrize("unit", [None, "", "mg/dL", "units"])
def test_a_result_without_a_known_unit_is_refused_not_guessed(unit: str | None) -> None:
    assert reading(TAKEN, 236, unit) is None


def test_uk_ng_per_l_and_us_pg_per_ml_twins_give_identical_criteria() -> None:
    uk, us = reading(TAKEN, 1250, "ng/L"), reading(TAKEN, 1250, "pg/mL")
    assert uk is not None
    assert uk == us
    assert value_set("ntprobnp").matches((Coding(SNOMED, "414799001"),))
    assert value_set("ntprobnp").matches((Coding(LOINC, "33762-6"),))
    assert value_set("ntprobnp").matches((Coding("urn:oid:2.16.840.1.113883.6.96", "414799001"),))
    assert not value_set("ntprobnp").matches((Coding(LOINC, "30934-4"),))
    assert value_set("bnp").matches((Coding(LOINC, "30934-4"),))


@given(st.floats(min_value=0, max_value=100_000, allow_nan=False))
def test_ng_per_l_band_boundaries(value: float) -> None:
    expected = "two-week" if value > 2000 else "six-week" if value >= 400 else "under-400"
    assert band(value, "ng/L") == expected


@given(st.floats(min_value=0, max_value=12_000, allow_nan=False))
def test_pmol_per_l_band_boundaries(value: float) -> None:
    expected = "two-week" if value > 236 else "six-week" if value >= 47 else "under-400"
    assert band(value, "pmol/L") == expected


@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [
        (">", 35000, "two-week"),
        (">", 2000, "two-week"),
        ("<", 50, "under-400"),
        ("<", 400, "under-400"),
        (">", 1000, None),
    ],
)
def test_a_censored_result_decides_a_band_only_when_its_bound_does(
    comparator: str, value: float, expected: str | None
) -> None:
    assert reading_band(ng(value, comparator)) == expected


def test_above_2000_meets_the_two_week_criterion_with_its_urgency() -> None:
    results = ntprobnp_criteria(facts(ng(2400)))
    assert met(results) == ["ntprobnp-over-2000-2-week"]
    assert results[0].urgency == "two-week"
    assert "2400 ng/L on 2025-05-20 is above 2000" in results[0].evidence


def test_under_400_names_the_confounders_on_record() -> None:
    record = facts(
        ng(310),
        latest_bmi=(date(2025, 1, 5), 32.44),
        conditions={"obesity": None},
        medicines=(
            medicine("Furosemide 40mg tablets", "diuretic"),
            medicine("Ramipril 5mg", "ace-inhibitor"),
        ),
    )
    result = ntprobnp_criteria(record)[2]
    assert result.status == "met"
    assert result.evidence.endswith(
        "lowered by: obesity coded; BMI 32.44 on 2025-01-05; "
        "Furosemide 40mg tablets (diuretic); Ramipril 5mg (ACE inhibitor)"
    )


def test_under_400_without_confounders_says_so() -> None:
    assert ntprobnp_criteria(facts(ng(120)))[2].evidence.endswith("no confounder on record")


def test_known_heart_failure_is_not_the_suspected_pathway() -> None:
    record = facts(ng(5000), conditions={"heart-failure": date(2020, 1, 1)})
    assert met(ntprobnp_criteria(record)) == []
    assert outcome(record) == "known-hf"


def test_without_nt_probnp_a_bnp_is_kept_apart_as_legacy() -> None:
    results = ntprobnp_criteria(facts(bnp=(Reading(TAKEN, 450, "ng/L"),)))
    assert {r.status for r in results} == {"insufficient-data"}
    assert "legacy BNP 450 ng/L on 2025-05-20 is above 400 ng/L (NICE CG108)" in results[0].evidence


def test_entresto_without_a_heart_failure_diagnosis_is_met() -> None:
    result = hf_drugs_without_diagnosis(facts(medicines=(medicine("Entresto 49mg/51mg", "arni", "arb"),)))
    assert result.status == "met"
    assert "Entresto 49mg/51mg (issued 2025-05-01)" in result.evidence


@pytest.mark.parametrize(
    ("name", "cls", "conditions", "age", "female"),
    [
        ("Digoxin 125mcg", "digoxin", {"atrial-fibrillation": None}, 70, False),
        ("Dapagliflozin 10mg", "dapagliflozin", {"diabetes-or-ckd": None}, 60, False),
        ("Spironolactone 25mg", "spironolactone", {"hirsutism": None}, 30, True),
        ("Entresto", "arni", {"heart-failure-excluded": date(2024, 1, 1)}, 70, False),
    ],
)
def test_a_medicine_with_another_indication_on_record_is_not_counted(
    name: str, cls: str, conditions: dict[str, date | None], age: int, female: bool
) -> None:
    record = facts(medicines=(medicine(name, cls),), conditions=conditions, age=age, female=female)
    assert hf_drugs_without_diagnosis(record).status == "not-met"


def test_spironolactone_in_a_man_with_hirsutism_coded_still_counts() -> None:
    record = facts(
        medicines=(medicine("Spironolactone", "spironolactone"),), conditions={"hirsutism": None}, age=30
    )
    assert hf_drugs_without_diagnosis(record).status == "met"


def test_a_medicine_last_issued_over_3_months_ago_is_not_counted_and_absence_needs_a_whole_record() -> None:
    old = (medicine("Ivabradine", "ivabradine", issued=date(2025, 2, 28)),)
    assert hf_drugs_without_diagnosis(facts(medicines=old)).status == "not-met"
    assert (
        hf_drugs_without_diagnosis(facts(medicines=old, record_complete=False)).status == "insufficient-data"
    )


def test_hfref_names_the_missing_medicine_classes() -> None:
    on = (medicine("Ramipril", "ace-inhibitor"), medicine("Bisoprolol", "beta-blocker"))
    result = hfref_gdmt_gaps(facts(conditions={"hfref": None}, medicines=on))
    assert result.status == "met"
    assert "not on MRA, SGLT2 inhibitor" in result.evidence
    four = (*on, medicine("Eplerenone", "mra"), medicine("Empagliflozin", "sglt2-inhibitor"))
    assert hfref_gdmt_gaps(facts(conditions={"hfref": None}, medicines=four)).status == "not-met"


def test_missing_fbc_and_ue_are_flagged_on_a_referral_outcome_only() -> None:
    record = facts(ng(2500), last_fbc=date(2025, 3, 1), last_ue=date(2024, 11, 30))
    assert outcome(record) == "urgent-2-weeks"
    assert missing_attachments(record) == ["no U&E in the last 6 months: the referral needs one"]
    assert missing_attachments(facts(ng(2500), last_fbc=date(2024, 12, 1), last_ue=date(2025, 5, 1))) == []
    assert missing_attachments(facts(ng(300))) == []


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (facts(ng(401)), True),
        (facts(ng(400)), False),
        (facts(Reading(TAKEN, 48, "pmol/L")), True),
        (facts(ng(3000), conditions={"heart-failure": None}), False),
        (facts(medicines=(medicine("Entresto", "arni"),)), True),
        (facts(), False),
    ],
)
def test_case_finding_is_nt_probnp_above_400_or_hf_medicines_without_a_diagnosis(
    record: HeartFailureFacts, expected: bool
) -> None:
    assert case_finding(record) is expected


@pytest.mark.parametrize(
    ("value_set_name", "text"),
    [
        ("medicine-arni", "Entresto 49mg/51mg tablets"),
        ("medicine-arb", "Sacubitril 49mg / valsartan 51mg tablets"),
        ("medicine-diuretic", "Furosemide 40mg tablets"),
        ("medicine-beta-blocker", "Bisoprolol fumarate 2.5mg tablets"),
        ("medicine-ace-inhibitor", "Ramipril 10mg capsules"),
        ("medicine-sglt2-inhibitor", "Empagliflozin 10mg tablets"),
        ("heart-failure-excluded", "Heart failure excluded"),
        ("heart-failure", "Congestive cardiac failure"),
    ],
)
def test_value_sets_match_by_name(value_set_name: str, text: str) -> None:
    assert value_set(value_set_name).matches((), text)


def test_heart_failure_excluded_is_not_a_heart_failure_diagnosis() -> None:
    assert not value_set("heart-failure").matches((), "Heart failure excluded")
    assert value_set("hfref").matches((Coding(SNOMED, "703272007"),))
