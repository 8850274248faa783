"""The eight diabetes criteria: what meets each, what does not, and when the data cannot say."""

from __future__ import annotations

from datetime import date

import pytest

from app.specialties.diabetes.criteria import (
    CriterionOutcome,
    diabetes_criteria,
    hba1c_in_diabetes_range_without_diabetes_coded,
)
from app.specialties.diabetes.definitions import DIABETES_CRITERIA, glycaemic_outcome
from app.specialties.diabetes.facts import ConditionFact, DiabetesFacts, Reading
from app.specialties.diabetes.glycaemia import glycaemic_picture
from tests.specialties.diabetes.diabetes_factories import TODAY, facts, medicine

LATEST = date(2026, 5, 1)
GLICLAZIDE = medicine("Gliclazide 80mg tablets")
METFORMIN = medicine("Metformin 500mg tablets")


def criterion(code: str, record: DiabetesFacts) -> CriterionOutcome:
    return next(outcome for outcome in diabetes_criteria(record) if outcome.code == code)


def status(code: str, record: DiabetesFacts) -> str:
    return criterion(code, record).status


def test_the_criteria_are_the_eight_the_clinic_declares_in_order() -> None:
    codes = [outcome.code for outcome in diabetes_criteria(facts())]
    assert codes == [definition.code for definition in DIABETES_CRITERIA]
    assert len(codes) == 8


@pytest.mark.parametrize(
    ("value", "drugs", "expected"),
    [
        (48, (METFORMIN,), "not-met"),
        (49, (METFORMIN,), "met"),
        (49, (), "met"),
        (53, (GLICLAZIDE,), "not-met"),
        (54, (GLICLAZIDE,), "met"),
        (53, (medicine("Insulin glargine 100units/ml"),), "not-met"),
        (53, (medicine("Gliclazide 80mg", active=False),), "met"),
    ],
)
def test_the_individual_target_is_48_or_53_on_a_drug_causing_hypoglycaemia(
    value: int, drugs: tuple, expected: str
) -> None:
    record = facts((LATEST, value, "mmol/mol"), medicines=drugs)
    assert status("hba1c-above-individual-target", record) == expected


def test_the_target_evidence_names_the_target_and_the_drug() -> None:
    evidence = criterion(
        "hba1c-above-individual-target", facts((LATEST, 54, "mmol/mol"), medicines=(GLICLAZIDE,))
    ).evidence
    assert evidence == (
        "latest HbA1c 54 mmol/mol (7.1%) on 2026-05-01 is above the target 53 on "
        "Sulfonylurea (Gliclazide 80mg tablets)"
    )


def test_an_incomplete_record_assumes_48_and_says_so() -> None:
    outcome = criterion("hba1c-above-individual-target", facts((LATEST, 50, "mmol/mol"), complete=False))
    assert outcome.status == "met"
    assert "target 48 assumed" in outcome.evidence


def test_no_individual_target_without_diabetes_coded() -> None:
    record = facts((LATEST, 60, "mmol/mol"), conditions=())
    assert status("hba1c-above-individual-target", record) == "not-met"


def test_an_hba1c_older_than_12_months_is_named_but_not_judged() -> None:
    outcome = criterion("hba1c-58-or-more-intensify", facts((date(2025, 5, 31), 70, "mmol/mol")))
    assert outcome.status == "insufficient-data"
    assert outcome.evidence == (
        "no HbA1c in the 12 months up to 2026-06-01 (since 2025-06-01); "
        "the latest is 70 mmol/mol (8.6%) on 2025-05-31"
    )


def test_an_hba1c_exactly_12_months_ago_is_in_the_window() -> None:
    assert status("hba1c-58-or-more-intensify", facts((date(2025, 6, 1), 70, "mmol/mol"))) == "met"


@pytest.mark.parametrize(
    ("reading", "expected"),
    [((58, "mmol/mol"), "met"), ((57, "mmol/mol"), "not-met"), ((7.5, "%"), "met"), ((7.4, "%"), "not-met")],
)
def test_58_or_more_is_the_intensification_trigger(reading: tuple[float, str], expected: str) -> None:
    assert status("hba1c-58-or-more-intensify", facts((LATEST, *reading))) == expected


@pytest.mark.parametrize(("code", "at", "above"), [("hba1c-over-75", 75, 76), ("hba1c-over-90", 90, 91)])
def test_75_and_90_are_not_above_themselves(code: str, at: int, above: int) -> None:
    assert status(code, facts((LATEST, at, "mmol/mol"))) == "not-met"
    assert status(code, facts((LATEST, above, "mmol/mol"))) == "met"


def test_nine_percent_is_75_and_so_not_above_75() -> None:
    assert status("hba1c-over-75", facts((LATEST, 9.0, "%"))) == "not-met"


def test_a_censored_result_decides_only_when_its_bound_does() -> None:
    above = DiabetesFacts(today=TODAY, hba1c=(Reading(LATEST, 130, "mmol/mol", ">"),))
    assert status("hba1c-over-90", above) == "met"
    below = DiabetesFacts(today=TODAY, hba1c=(Reading(LATEST, 20, "mmol/mol", "<"),))
    assert status("hba1c-over-90", below) == "not-met"
    assert status("rising-hba1c", below) == "insufficient-data"


@pytest.mark.parametrize(("before", "expected"), [(52, "met"), (53, "not-met"), (60, "not-met")])
def test_a_rise_of_6_from_6_to_12_months_before_the_latest_is_rising(before: int, expected: str) -> None:
    record = facts((date(2025, 11, 1), before, "mmol/mol"), (LATEST, 58, "mmol/mol"))
    assert status("rising-hba1c", record) == expected


def test_a_rise_needs_a_result_6_to_12_months_before_the_latest() -> None:
    record = facts(
        (date(2026, 1, 1), 40, "mmol/mol"), (date(2025, 4, 30), 40, "mmol/mol"), (LATEST, 58, "mmol/mol")
    )
    outcome = criterion("rising-hba1c", record)
    assert outcome.status == "insufficient-data"
    assert outcome.evidence.endswith("no HbA1c 6 to 12 months before it (2025-05-01 to 2025-11-01)")


def test_same_day_percent_and_mmol_mol_are_one_result_and_the_ifcc_value_is_kept() -> None:
    record = facts((LATEST, 6.5, "%"), (LATEST, 47, "mmol/mol"))
    picture = glycaemic_picture(record)
    assert len(picture.hba1c) == 1
    assert picture.hba1c[0].value == 47
    assert status("hba1c-above-individual-target", record) == "not-met"


def test_a_percent_alone_is_compared_after_rounding_and_shown_as_reported() -> None:
    outcome = criterion("undiagnosed-diabetes-range", facts((LATEST, 6.5, "%"), conditions=()))
    assert outcome.status == "met"
    assert outcome.evidence.startswith("latest HbA1c 48 mmol/mol (reported as 6.5%) on 2026-05-01")


def test_an_hba1c_without_a_unit_is_left_out() -> None:
    record = facts((LATEST, 6.5, ""))
    assert glycaemic_picture(record).refused
    assert status("hba1c-58-or-more-intensify", record) == "insufficient-data"


@pytest.mark.parametrize(
    ("hba1c", "glucose", "expected"),
    [
        (48, None, "met"),
        (47, None, "not-met"),
        (None, (7.0, "mmol/L"), "met"),
        (None, (6.9, "mmol/L"), "not-met"),
        (None, (126, "mg/dL"), "met"),
        (44, (7.1, "mmol/L"), "met"),
        (None, None, "insufficient-data"),
    ],
)
def test_undiagnosed_diabetes_range_is_48_or_fasting_glucose_7(
    hba1c: int | None, glucose: tuple[float, str] | None, expected: str
) -> None:
    readings = ((LATEST, hba1c, "mmol/mol"),) if hba1c is not None else ()
    fpg = ((LATEST, *glucose),) if glucose is not None else ()
    record = facts(*readings, glucose=fpg, conditions=())
    assert status("undiagnosed-diabetes-range", record) == expected


def test_diabetes_coded_means_not_undiagnosed_but_ndh_or_a_resolved_code_does_not() -> None:
    high = (LATEST, 52, "mmol/mol")
    assert status("undiagnosed-diabetes-range", facts(high)) == "not-met"
    ndh = ConditionFact(("15777000",), "Non-diabetic hyperglycaemia", date(2024, 1, 1))
    assert status("undiagnosed-diabetes-range", facts(high, conditions=(ndh,))) == "met"
    resolved = ConditionFact(("315051004",), "Diabetes resolved", date(2023, 1, 1))
    type_2 = ConditionFact(("44054006",), "Type 2 diabetes mellitus", date(2018, 1, 1))
    assert status("undiagnosed-diabetes-range", facts(high, conditions=(type_2, resolved))) == "met"
    again = ConditionFact(("44054006",), "Type 2 diabetes mellitus", date(2025, 1, 1))
    assert (
        status("undiagnosed-diabetes-range", facts(high, conditions=(type_2, resolved, again))) == "not-met"
    )


def test_diabetes_described_in_text_counts_but_a_family_history_does_not() -> None:
    high = (LATEST, 52, "mmol/mol")
    text_only = ConditionFact(("999999999",), "Type 2 diabetes mellitus without complication", None)
    assert status("undiagnosed-diabetes-range", facts(high, conditions=(text_only,))) == "not-met"
    family = ConditionFact(("160303001",), "Family history of diabetes mellitus", None)
    assert status("undiagnosed-diabetes-range", facts(high, conditions=(family,))) == "met"


def test_undiagnosed_in_an_incomplete_record_is_insufficient_since_a_code_may_be_missing() -> None:
    record = facts((LATEST, 52, "mmol/mol"), conditions=(), complete=False)
    outcome = criterion("undiagnosed-diabetes-range", record)
    assert outcome.status == "insufficient-data"
    assert outcome.evidence.endswith("in the diabetes range, but the record is incomplete")


@pytest.mark.parametrize(
    ("hba1c", "glucose", "expected"),
    [
        (42, None, "met"),
        (47, None, "met"),
        (41, None, "not-met"),
        (48, None, "not-met"),
        (None, (5.5, "mmol/L"), "met"),
        (None, (6.9, "mmol/L"), "met"),
        (None, (5.4, "mmol/L"), "not-met"),
        (None, (99, "mg/dL"), "met"),
    ],
)
def test_ndh_range_is_42_to_47_or_fasting_glucose_5_5_to_6_9(
    hba1c: int | None, glucose: tuple[float, str] | None, expected: str
) -> None:
    readings = ((LATEST, hba1c, "mmol/mol"),) if hba1c is not None else ()
    fpg = ((LATEST, *glucose),) if glucose is not None else ()
    assert status("ndh-range", facts(*readings, glucose=fpg, conditions=())) == expected


@pytest.mark.parametrize(
    ("value", "drugs", "expected"),
    [
        (47, (GLICLAZIDE,), "met"),
        (48, (GLICLAZIDE,), "not-met"),
        (40, (medicine("Insulin aspart"),), "met"),
        (40, (METFORMIN,), "not-met"),
    ],
)
def test_hypo_risk_is_below_48_on_a_sulfonylurea_or_insulin(value: int, drugs: tuple, expected: str) -> None:
    record = facts((LATEST, value, "mmol/mol"), medicines=drugs)
    assert status("hypo-risk-on-su-or-insulin-with-low-hba1c", record) == expected


def test_case_finding_predicate_is_the_diabetes_range_with_no_diabetes_coded() -> None:
    assert hba1c_in_diabetes_range_without_diabetes_coded(facts((LATEST, 48, "mmol/mol"), conditions=()))
    assert not hba1c_in_diabetes_range_without_diabetes_coded(facts((LATEST, 47, "mmol/mol"), conditions=()))
    assert not hba1c_in_diabetes_range_without_diabetes_coded(facts((LATEST, 60, "mmol/mol")))
    assert not hba1c_in_diabetes_range_without_diabetes_coded(facts(conditions=()))


def test_uk_and_us_coded_twins_give_identical_numbers_and_statuses() -> None:
    uk = facts(
        (date(2025, 11, 1), 48, "mmol/mol"), (LATEST, 58, "mmol/mol"), glucose=((LATEST, 7.0, "mmol/L"),)
    )
    us = facts((date(2025, 11, 1), 6.5, "%"), (LATEST, 7.5, "%"), glucose=((LATEST, 126, "mg/dL"),))
    for record in (uk, us):
        picture = glycaemic_picture(record)
        assert [day.value for day in picture.hba1c] == [48, 58]
        assert picture.latest_fasting_glucose is not None
        assert picture.latest_fasting_glucose.value == 7.0
    assert [o.status for o in diabetes_criteria(uk)] == [o.status for o in diabetes_criteria(us)]


@pytest.mark.parametrize(
    ("record", "outcome"),
    [
        (facts((LATEST, 95, "mmol/mol")), "refer-urgent"),
        (facts((LATEST, 60, "mmol/mol")), "intensify"),
        (facts((LATEST, 50, "mmol/mol")), "above-target"),
        (facts((LATEST, 45, "mmol/mol")), "at-target"),
        (facts((LATEST, 50, "mmol/mol"), conditions=()), "possible-new-diabetes"),
        (facts((LATEST, 44, "mmol/mol"), conditions=()), "ndh"),
        (facts(), "insufficient-data"),
    ],
)
def test_the_glycaemic_outcome_is_the_most_pressing_met_criterion(
    record: DiabetesFacts, outcome: str
) -> None:
    assert glycaemic_outcome(diabetes_criteria(record)) == outcome
