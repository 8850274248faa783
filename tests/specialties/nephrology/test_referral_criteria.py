"""NICE NG203 referral criteria: met, not met and insufficient data for each."""

from __future__ import annotations

import pytest

from app.specialties.nephrology.blood_pressure import assess_blood_pressure
from app.specialties.nephrology.coded_conditions import (
    HAEMATURIA,
    RARE_OR_GENETIC_CAUSE,
    RENAL_ARTERY_STENOSIS,
    ConditionMatcher,
)
from app.specialties.nephrology.criteria import (
    CriterionOutcome,
    DatedFinding,
    accelerated_progression,
    acr_70_or_more,
    acr_over_30_with_haematuria,
    coded_condition_criterion,
    egfr_decline_15_per_year,
    egfr_decline_25_percent,
    haematuria_findings,
    kfre_over_5_percent,
    uncontrolled_hypertension_4_drugs,
)
from app.specialties.nephrology.egfr import EgfrResult
from app.specialties.nephrology.kfre import KfreAssessment
from app.specialties.nephrology.medicines import active_antihypertensive_classes, classify_medications
from app.specialties.nephrology.results import DayValue
from app.specialties.nephrology.trend import daily_egfr
from schemas.api.nephrology import CriterionCode, CriterionStatus, EgfrOrigin, KfreCalibration
from schemas.clinical import Condition
from tests.specialties.nephrology.factories import (
    acr,
    at,
    blood_pressure,
    condition,
    day,
    medication,
)

MET = CriterionStatus.MET
NOT_MET = CriterionStatus.NOT_MET
INSUFFICIENT = CriterionStatus.INSUFFICIENT_DATA
NON_NA = KfreCalibration.NON_NORTH_AMERICAN


def _egfr(*points: tuple[str, float] | tuple[str, float, str]) -> list[EgfrResult]:
    return [
        EgfrResult(at(point[0]), point[1], EgfrOrigin.REPORTED, point[2] if len(point) == 3 else None)
        for point in points
    ]


def _days(*points: tuple[str, float] | tuple[str, float, str]) -> list[DayValue]:
    return daily_egfr(_egfr(*points))


# --- kfre-5y-over-5pct --------------------------------------------------------------------------------------


def _kfre(five_year: float | None, *, egfr: float = 40, reason: str | None = None) -> KfreAssessment:
    latest = _egfr(("2024-06-01", egfr))[0]
    if five_year is None:
        return KfreAssessment(NON_NA, reason=reason, egfr=latest)
    return KfreAssessment(NON_NA, 1.0, five_year, None, 60, latest, acr("2024-05-01", 40))


def test_a_5_year_kfre_above_5_percent_is_met() -> None:
    outcome = kfre_over_5_percent(_kfre(5.01), record_complete=True)
    assert outcome.status is MET
    assert outcome.evidence.startswith("5-year KFRE 5.010% ")


def test_the_kfre_evidence_rounds_to_one_place_away_from_the_threshold() -> None:
    assert kfre_over_5_percent(_kfre(7.94422), record_complete=True).evidence.startswith("5-year KFRE 7.9% ")


def test_a_5_year_kfre_of_exactly_5_percent_is_not_met() -> None:
    outcome = kfre_over_5_percent(_kfre(5.0), record_complete=True)
    assert outcome.status is NOT_MET
    assert outcome.evidence.startswith(
        "5-year KFRE 5.000% (non-north-american calibration) from age 60, eGFR 40"
    )


def test_no_kfre_because_egfr_is_60_or_more_is_not_met() -> None:
    assert (
        kfre_over_5_percent(_kfre(None, egfr=75, reason="latest eGFR 75 ..."), record_complete=True).status
        is NOT_MET
    )


def test_no_kfre_for_want_of_an_acr_is_insufficient_data() -> None:
    outcome = kfre_over_5_percent(_kfre(None, reason="no urine ACR within 12 months"), record_complete=True)
    assert (outcome.status, outcome.evidence) == (INSUFFICIENT, "no KFRE: no urine ACR within 12 months")


# --- acr-70-or-more -----------------------------------------------------------------------------------------


def test_an_acr_of_exactly_70_is_met_and_notes_the_diabetes_exception() -> None:
    diabetes = [condition("44054006", "Type 2 diabetes mellitus")]
    outcome = acr_70_or_more(acr("2024-05-01", 70), diabetes, record_complete=True)
    assert outcome.status is MET
    assert "already appropriately treated" in outcome.evidence
    assert "diabetes coded: Type 2 diabetes mellitus" in outcome.evidence


def test_an_acr_of_69_9_is_not_met() -> None:
    assert acr_70_or_more(acr("2024-05-01", 69.9), [], record_complete=True).status is NOT_MET


def test_no_acr_is_insufficient_data_for_acr_70() -> None:
    assert acr_70_or_more(None, [], record_complete=True).status is INSUFFICIENT


def test_an_acr_reported_as_under_100_is_insufficient_data_for_acr_70() -> None:
    assert acr_70_or_more(acr("2024-05-01", 100, "<"), [], record_complete=True).status is INSUFFICIENT


# --- acr-over-30-with-haematuria ----------------------------------------------------------------------------


def _haematuria(onset: str | None) -> list[DatedFinding]:
    return [DatedFinding(None if onset is None else day(onset), "Microscopic haematuria")]


def test_acr_over_30_with_haematuria_11_months_before_is_met() -> None:
    outcome = acr_over_30_with_haematuria(
        acr("2024-05-01", 31), _haematuria("2023-06-01"), record_complete=True
    )
    assert outcome.status is MET
    assert outcome.evidence.endswith("Microscopic haematuria on 2023-06-01")


def test_haematuria_13_months_from_the_acr_is_not_met() -> None:
    outcome = acr_over_30_with_haematuria(
        acr("2024-05-01", 45), _haematuria("2023-04-01"), record_complete=True
    )
    assert outcome.status is NOT_MET


def test_an_acr_of_exactly_30_with_haematuria_is_not_met() -> None:
    outcome = acr_over_30_with_haematuria(
        acr("2024-05-01", 30), _haematuria("2024-04-01"), record_complete=True
    )
    assert outcome.status is NOT_MET


def test_no_acr_is_insufficient_data_for_acr_with_haematuria() -> None:
    assert acr_over_30_with_haematuria(None, [], record_complete=True).status is INSUFFICIENT


def test_undated_haematuria_is_insufficient_data() -> None:
    outcome = acr_over_30_with_haematuria(acr("2024-05-01", 45), _haematuria(None), record_complete=True)
    assert outcome.status is INSUFFICIENT


def test_no_haematuria_in_an_incomplete_record_is_insufficient_data() -> None:
    outcome = acr_over_30_with_haematuria(acr("2024-05-01", 45), [], record_complete=False)
    assert outcome.status is INSUFFICIENT


@pytest.mark.parametrize(
    "found",
    [
        condition("34436003", "Blood in urine", onset="2024-01-01"),
        condition("197941005", None, onset="2024-01-01"),
        condition(
            "R31", "Microscopic haematuria", onset="2024-01-01", system="http://hl7.org/fhir/sid/icd-10"
        ),
    ],
)
def test_haematuria_is_found_by_snomed_code_or_by_display_text(found: Condition) -> None:
    assert HAEMATURIA.found_in([found]) == [found]


def test_a_negated_haematuria_display_does_not_count() -> None:
    assert HAEMATURIA.found_in([condition("X1", "No haematuria", system="urn:local")]) == []


def test_a_coded_haematuria_problem_counts_with_its_onset() -> None:
    coded = condition("197940006", "Microscopic haematuria", onset="2024-02-01")
    assert haematuria_findings([coded]) == [DatedFinding(day("2024-02-01"), "Microscopic haematuria")]


# --- egfr-decline-25pct -------------------------------------------------------------------------------------


def test_a_sustained_25_percent_fall_with_a_worse_category_is_met() -> None:
    outcome = egfr_decline_25_percent(
        _days(("2023-09-01", 60), ("2024-03-01", 45), ("2024-06-01", 44)), record_complete=True
    )
    assert outcome.status is MET
    assert outcome.evidence == (
        "eGFR 44 on 2024-06-01 and 45 on 2024-03-01 at or below 75% of 60 on 2023-09-01, G2 to G3b"
    )


def test_a_fall_not_sustained_by_the_result_before_the_latest_is_not_met() -> None:
    assert (
        egfr_decline_25_percent(
            _days(("2023-09-01", 60), ("2024-03-01", 46), ("2024-06-01", 40)), record_complete=True
        ).status
        is NOT_MET
    )


def test_a_25_percent_fall_within_one_category_is_not_met() -> None:
    assert (
        egfr_decline_25_percent(
            _days(("2023-09-01", 29), ("2024-03-01", 16), ("2024-06-01", 16)), record_complete=True
        ).status
        is NOT_MET
    )


def test_a_baseline_more_than_12_months_before_the_latest_does_not_count() -> None:
    results = _egfr(("2023-05-31", 60), ("2023-09-01", 50), ("2024-03-01", 44), ("2024-06-01", 44))
    assert egfr_decline_25_percent(daily_egfr(results), record_complete=True).status is NOT_MET


def test_fewer_than_3_days_in_12_months_is_insufficient_data_for_decline() -> None:
    assert (
        egfr_decline_25_percent(_days(("2024-03-01", 60), ("2024-06-01", 40)), record_complete=True).status
        is INSUFFICIENT
    )


def test_a_fall_from_over_90_to_80_may_be_25_percent_so_data_are_insufficient() -> None:
    results = _egfr(("2023-09-01", 90, ">"), ("2024-03-01", 80), ("2024-06-01", 80))
    assert egfr_decline_25_percent(daily_egfr(results), record_complete=True).status is INSUFFICIENT


def test_a_fall_from_over_90_to_60_is_certainly_25_percent() -> None:
    results = _egfr(("2023-09-01", 90, ">"), ("2024-03-01", 62), ("2024-06-01", 60))
    assert egfr_decline_25_percent(daily_egfr(results), record_complete=True).status is MET


# --- egfr-decline-15-per-year -------------------------------------------------------------------------------


def test_a_fall_of_20_a_year_is_met() -> None:
    outcome = egfr_decline_15_per_year(
        _days(("2024-01-01", 60), ("2024-04-01", 55), ("2024-07-01", 50)), record_complete=True
    )
    assert outcome.status is MET


def test_a_fall_of_8_a_year_is_not_met() -> None:
    outcome = egfr_decline_15_per_year(
        _days(("2024-01-01", 60), ("2024-04-01", 58), ("2024-07-01", 56)), record_complete=True
    )
    assert outcome.status is NOT_MET


def test_three_days_spanning_80_days_are_insufficient_data_for_the_rate() -> None:
    outcome = egfr_decline_15_per_year(
        _days(("2024-01-01", 60), ("2024-02-01", 50), ("2024-03-21", 40)), record_complete=True
    )
    assert outcome.status is INSUFFICIENT
    assert outcome.evidence.endswith("3 days spanning 80 days found")


def test_the_rate_evidence_is_rounded_with_its_unit_and_names_its_window() -> None:
    outcome = egfr_decline_15_per_year(
        _days(("2023-07-01", 58.43), ("2023-10-01", 57.91), ("2024-01-01", 57.12), ("2024-06-01", 56.2)),
        record_complete=True,
    )
    assert outcome.evidence == (
        "falling 2.5 mL/min/1.73m² per year over 11 months (4 days with results, 2023-07-01 to 2024-06-01) "
        "in the 12 months up to the latest result"
    )


def test_a_rate_just_short_of_15_a_year_is_not_rounded_onto_the_threshold() -> None:
    on_the_line = [("2024-01-01", 0), ("2024-07-02", 183), ("2025-01-01", 366)]
    outcome = egfr_decline_15_per_year(
        _days(*((day, 60 - 14.96 * offset / 365.25) for day, offset in on_the_line)), record_complete=True
    )
    assert outcome.status is NOT_MET
    assert outcome.evidence.startswith("falling 14.96 mL/min/1.73m² per year over 1.0 years")


def test_evidence_shows_results_as_the_clinic_reads_them() -> None:
    outcome = egfr_decline_25_percent(
        _days(("2023-09-01", 60.04123), ("2024-03-01", 44.96871), ("2024-06-01", 44.0)), record_complete=True
    )
    assert outcome.evidence == (
        "eGFR 44 on 2024-06-01 and 44.97 on 2024-03-01 at or below 75% of 60.04 on 2023-09-01, G2 to G3b"
    )


def test_in_an_incomplete_record_too_few_results_are_not_called_all_there_is() -> None:
    outcome = egfr_decline_25_percent(_days(("2024-06-01", 40)), record_complete=False)
    assert outcome.status is INSUFFICIENT
    assert outcome.evidence.endswith("1 found, but the record is incomplete")


def test_in_an_incomplete_record_a_missing_acr_is_not_called_unrecorded() -> None:
    outcome = acr_70_or_more(None, [], record_complete=False)
    assert (outcome.status, outcome.evidence) == (
        INSUFFICIENT,
        "no urine ACR found, but the record is incomplete",
    )


def test_results_older_than_12_months_do_not_enter_the_rate() -> None:
    outcome = egfr_decline_15_per_year(
        _days(("2023-01-01", 90), ("2024-04-01", 55), ("2024-07-01", 54)), record_complete=True
    )
    assert outcome.status is INSUFFICIENT


# --- uncontrolled-hypertension-4-drugs ----------------------------------------------------------------------

FOUR_CLASSES = ["Ramipril 5mg", "Amlodipine 10mg", "Indapamide 2.5mg", "Doxazosin 4mg"]


def _hypertension(
    names: list[str], *, reading: tuple[float, float] | None, complete: bool = True
) -> CriterionOutcome:
    classes = active_antihypertensive_classes(classify_medications([medication(name) for name in names]))
    readings = [] if reading is None else [blood_pressure("2024-05-01", *reading)]
    return uncontrolled_hypertension_4_drugs(
        classes, assess_blood_pressure(readings, latest_acr=None), record_complete=complete
    )


def test_four_classes_and_a_pressure_above_target_is_met() -> None:
    outcome = _hypertension(FOUR_CLASSES, reading=(150, 85))
    assert outcome.status is MET
    assert "4 antihypertensive classes active" in outcome.evidence


def test_four_classes_and_a_pressure_below_target_is_not_met() -> None:
    assert _hypertension(FOUR_CLASSES, reading=(130, 80)).status is NOT_MET


def test_three_classes_is_not_met_whatever_the_pressure() -> None:
    assert _hypertension(FOUR_CLASSES[:3], reading=(180, 100)).status is NOT_MET


def test_four_classes_without_a_reading_is_insufficient_data() -> None:
    assert _hypertension(FOUR_CLASSES, reading=None).status is INSUFFICIENT


def test_three_classes_in_an_incomplete_record_is_insufficient_data() -> None:
    assert _hypertension(FOUR_CLASSES[:3], reading=(180, 100), complete=False).status is INSUFFICIENT


# --- rare-or-genetic-cause, renal-artery-stenosis -----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "matcher", "found"),
    [
        (CriterionCode.RARE_OR_GENETIC_CAUSE, RARE_OR_GENETIC_CAUSE, condition("765330003", "ADPKD")),
        (
            CriterionCode.RARE_OR_GENETIC_CAUSE,
            RARE_OR_GENETIC_CAUSE,
            condition("L1", "Alport syndrome", system="x"),
        ),
        (
            CriterionCode.RENAL_ARTERY_STENOSIS,
            RENAL_ARTERY_STENOSIS,
            condition("302233006", "Renal artery stenosis"),
        ),
    ],
)
def test_a_coded_cause_is_met(code: CriterionCode, matcher: ConditionMatcher, found: Condition) -> None:
    outcome = coded_condition_criterion(code, matcher, [found], what="it", record_complete=True)
    assert outcome.status is MET


@pytest.mark.parametrize(
    ("code", "matcher"),
    [
        (CriterionCode.RARE_OR_GENETIC_CAUSE, RARE_OR_GENETIC_CAUSE),
        (CriterionCode.RENAL_ARTERY_STENOSIS, RENAL_ARTERY_STENOSIS),
    ],
)
@pytest.mark.parametrize(("complete", "status"), [(True, NOT_MET), (False, INSUFFICIENT)])
def test_no_coded_cause_is_not_met_only_in_a_complete_record(
    code: CriterionCode, matcher: ConditionMatcher, complete: bool, status: CriterionStatus
) -> None:
    hypertension = condition("38341003", "Hypertension")
    outcome = coded_condition_criterion(code, matcher, [hypertension], what="it", record_complete=complete)
    assert outcome.status is status


# --- accelerated progression --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decline_25", "decline_15", "accelerated"),
    [(MET, NOT_MET, True), (NOT_MET, MET, True), (NOT_MET, INSUFFICIENT, False)],
)
def test_accelerated_progression_is_either_decline_criterion_met(
    decline_25: CriterionStatus, decline_15: CriterionStatus, accelerated: bool
) -> None:
    outcomes = [
        CriterionOutcome(CriterionCode.EGFR_DECLINE_25PCT, decline_25, ""),
        CriterionOutcome(CriterionCode.EGFR_DECLINE_15_PER_YEAR, decline_15, ""),
        CriterionOutcome(CriterionCode.ACR_70_OR_MORE, MET, ""),
    ]
    assert accelerated_progression(outcomes) is accelerated
