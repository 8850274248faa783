"""The 4-variable KFRE: the published checks, its inputs and when it applies."""

from __future__ import annotations

import math

import pytest

from app.specialties.nephrology.egfr import EgfrResult
from app.specialties.nephrology.kfre import (
    KfreAssessment,
    acr_mg_mmol_to_mg_g,
    assess_kfre,
    kfre_linear_predictor,
    kidney_failure_risk_percent,
)
from schemas.api.nephrology import EgfrOrigin, KfreCalibration
from schemas.clinical import Measurement, Sex
from tests.specialties.nephrology.factories import acr, at, day

# The published checks are given to two decimals of a percent.
KFRE_TOLERANCE = 0.005


def test_female_57_egfr_15_acr_1762_has_a_2_year_risk_of_44_66_percent() -> None:
    risk = kidney_failure_risk_percent(age_years=57.28, male=False, egfr=15, acr_mg_g=1762.00184, years=2)
    assert risk == pytest.approx(44.66, abs=KFRE_TOLERANCE)


def test_female_57_egfr_15_acr_1762_has_a_5_year_risk_of_89_89_percent() -> None:
    risk = kidney_failure_risk_percent(age_years=57.28, male=False, egfr=15, acr_mg_g=1762.00184, years=5)
    assert risk == pytest.approx(89.89, abs=KFRE_TOLERANCE)


def test_male_60_egfr_35_acr_120_has_a_5_year_risk_of_8_49_percent() -> None:
    risk = kidney_failure_risk_percent(age_years=60, male=True, egfr=35, acr_mg_g=120, years=5)
    assert risk == pytest.approx(8.49, abs=KFRE_TOLERANCE)


def test_the_north_american_calibration_uses_its_own_baseline_survival() -> None:
    predictor = kfre_linear_predictor(age_years=60, male=True, egfr=35, acr_mg_g=120)
    risk = kidney_failure_risk_percent(
        age_years=60, male=True, egfr=35, acr_mg_g=120, years=5, calibration=KfreCalibration.NORTH_AMERICAN
    )
    assert risk == pytest.approx(100 * (1 - 0.9240 ** math.exp(predictor)), rel=1e-12)


def test_acr_in_mg_mmol_converts_to_mg_g_by_8_84() -> None:
    assert acr_mg_mmol_to_mg_g(10.0) == pytest.approx(88.4)


def _egfr(when: str, value: float, comparator: str | None = None) -> EgfrResult:
    return EgfrResult(at(when), value, EgfrOrigin.REPORTED, comparator)


def _assess(
    latest: EgfrResult | None,
    acr_results: list[Measurement],
    *,
    sex: Sex = Sex.MALE,
    born: str | None = "1964-01-01",
) -> KfreAssessment:
    return assess_kfre(
        latest_egfr=latest,
        acr=acr_results,
        birth_date=None if born is None else day(born),
        sex=sex,
        calibration=KfreCalibration.NON_NORTH_AMERICAN,
    )


def test_the_kfre_uses_age_in_whole_years_at_the_latest_egfr_and_acr_in_mg_g() -> None:
    found = _assess(_egfr("2024-06-01", 35), [acr("2024-05-01", 120 / 8.84)], born="1963-06-02")
    assert found.age_years == 60
    assert found.five_year_percent == pytest.approx(8.49, abs=KFRE_TOLERANCE)
    assert found.two_year_percent is not None
    assert found.reason is None


def test_no_kfre_when_the_latest_egfr_is_60_and_the_reason_says_so() -> None:
    found = _assess(_egfr("2024-06-01", 60), [acr("2024-05-01", 40)])
    assert (found.two_year_percent, found.five_year_percent) == (None, None)
    assert found.reason is not None
    assert "not below 60" in found.reason


def test_a_latest_egfr_of_59_99_gets_a_kfre() -> None:
    assert _assess(_egfr("2024-06-01", 59.99), [acr("2024-05-01", 40)]).five_year_percent is not None


def test_an_acr_exactly_12_months_before_the_latest_egfr_is_used() -> None:
    found = _assess(_egfr("2024-06-01", 40), [acr("2023-06-01", 40)])
    assert found.acr is not None
    assert found.five_year_percent is not None


def test_an_acr_12_months_and_a_day_before_the_latest_egfr_is_not_used() -> None:
    found = _assess(_egfr("2024-06-01", 40), [acr("2023-05-31", 40)])
    assert found.five_year_percent is None
    assert found.reason == "no urine ACR within 12 months of the latest eGFR (2024-06-01)"


def test_the_latest_acr_within_the_window_is_the_one_used() -> None:
    found = _assess(
        _egfr("2024-06-01", 40), [acr("2023-09-01", 10), acr("2024-03-01", 50), acr("2025-07-01", 5)]
    )
    assert found.acr is not None
    assert found.acr.value == 50


@pytest.mark.parametrize(
    ("latest", "sex", "born", "reason"),
    [
        (None, Sex.MALE, "1964-01-01", "no eGFR to compute it from"),
        (_egfr("2024-06-01", 40), Sex.MALE, None, "birth date not recorded"),
        (_egfr("2024-06-01", 40), Sex.UNKNOWN, "1964-01-01", "sex not recorded as male or female"),
    ],
)
def test_no_kfre_without_its_inputs(
    latest: EgfrResult | None, sex: Sex, born: str | None, reason: str
) -> None:
    found = _assess(latest, [acr("2024-05-01", 40)], sex=sex, born=born)
    assert (found.five_year_percent, found.reason) == (None, reason)


def test_a_censored_acr_gives_a_kfre_with_a_caveat() -> None:
    found = _assess(_egfr("2024-06-01", 40), [acr("2024-05-01", 3, "<")])
    assert found.five_year_percent is not None
    assert found.caveat == "KFRE uses a censored result (ACR <3): the risk is approximate"
