"""eGFR from creatinine (CKD-EPI 2009 and 2021) and the eGFR series the summary shows."""

from __future__ import annotations

import pytest

from app.specialties.nephrology.egfr import (
    EgfrEquation,
    calculated_egfr,
    egfr_ckd_epi_2009,
    egfr_ckd_epi_2021,
    egfr_series,
)
from schemas.api.nephrology import EgfrOrigin
from schemas.clinical import Sex
from tests.specialties.nephrology.factories import creatinine, day, egfr

# The NKF calculator's published values are rounded to whole numbers: a tolerance of 0.5 pins them.
NKF_2009_TOLERANCE = 0.5
# The 2021 checks are published to two decimals.
CKD_EPI_2021_TOLERANCE = 0.005


@pytest.mark.parametrize(
    ("creatinine_umol_l", "age", "male", "female"),
    [(50, 40, 129, 116), (30, 50, 148, 128), (60, 60, 104, 95), (100, 70, 65, 49)],
)
def test_ckd_epi_2009_matches_the_nkf_calculator(
    creatinine_umol_l: float, age: int, male: float, female: float
) -> None:
    assert egfr_ckd_epi_2009(
        creatinine_umol_l=creatinine_umol_l, age_years=age, female=False
    ) == pytest.approx(male, abs=NKF_2009_TOLERANCE)
    assert egfr_ckd_epi_2009(
        creatinine_umol_l=creatinine_umol_l, age_years=age, female=True
    ) == pytest.approx(female, abs=NKF_2009_TOLERANCE)


def test_ckd_epi_2021_male_of_55_with_creatinine_96_3_is_80_21() -> None:
    value = egfr_ckd_epi_2021(creatinine_umol_l=96.3, age_years=55, female=False)
    assert value == pytest.approx(80.21, abs=CKD_EPI_2021_TOLERANCE)


def test_ckd_epi_2021_female_of_52_with_creatinine_70_is_89_69() -> None:
    value = egfr_ckd_epi_2021(creatinine_umol_l=70, age_years=52, female=True)
    assert value == pytest.approx(89.69, abs=CKD_EPI_2021_TOLERANCE)


def test_the_equation_setting_chooses_the_formula() -> None:
    for equation, formula in (
        (EgfrEquation.CKD_EPI_2021, egfr_ckd_epi_2021),
        (EgfrEquation.CKD_EPI_2009, egfr_ckd_epi_2009),
    ):
        chosen = calculated_egfr(creatinine_umol_l=96.3, age_years=55, female=False, equation=equation)
        assert chosen == formula(creatinine_umol_l=96.3, age_years=55, female=False)


def test_a_reported_egfr_wins_over_a_creatinine_on_the_same_day() -> None:
    found = egfr_series(
        reported=[egfr("2024-01-10", 52)],
        creatinine=[creatinine("2024-01-10", 120)],
        birth_date=day("1960-06-15"),
        sex=Sex.MALE,
        equation=EgfrEquation.CKD_EPI_2009,
    )
    assert [(r.value, r.origin) for r in found.results] == [(52, EgfrOrigin.REPORTED)]
    assert found.warnings == []


def test_a_creatinine_without_a_reported_egfr_gives_a_calculated_one_naming_its_equation() -> None:
    found = egfr_series(
        reported=[egfr("2024-01-10", 52)],
        creatinine=[creatinine("2024-02-10", 100)],
        birth_date=day("1954-02-11"),
        sex=Sex.FEMALE,
        equation=EgfrEquation.CKD_EPI_2021,
    )
    calculated = found.results[-1]
    assert calculated.origin is EgfrOrigin.CALCULATED
    assert calculated.equation is EgfrEquation.CKD_EPI_2021
    # Born 1954-02-11, sampled 2024-02-10: still 69 in whole years.
    assert calculated.value == egfr_ckd_epi_2021(creatinine_umol_l=100, age_years=69, female=True)


def test_no_egfr_is_calculated_without_a_birth_date_and_the_summary_says_why() -> None:
    found = egfr_series(
        reported=[],
        creatinine=[creatinine("2024-01-10", 100), creatinine("2024-02-10", 110)],
        birth_date=None,
        sex=Sex.MALE,
        equation=EgfrEquation.CKD_EPI_2009,
    )
    assert found.results == []
    assert found.warnings == [
        "2 creatinine results without a reported eGFR: none calculated, birth date unknown"
    ]


@pytest.mark.parametrize("sex", [Sex.OTHER, Sex.UNKNOWN])
def test_no_egfr_is_calculated_unless_sex_is_male_or_female(sex: Sex) -> None:
    found = egfr_series(
        reported=[],
        creatinine=[creatinine("2024-01-10", 100)],
        birth_date=day("1960-01-01"),
        sex=sex,
        equation=EgfrEquation.CKD_EPI_2009,
    )
    assert found.results == []
    assert "sex (male or female) unknown" in found.warnings[0]


def test_a_creatinine_taken_in_childhood_gives_no_adult_egfr() -> None:
    found = egfr_series(
        reported=[],
        creatinine=[creatinine("2010-01-10", 50), creatinine("2024-01-10", 80)],
        birth_date=day("2000-01-01"),
        sex=Sex.MALE,
        equation=EgfrEquation.CKD_EPI_2009,
    )
    assert [r.day for r in found.results] == [day("2024-01-10")]
    assert found.warnings == [
        "1 creatinine result taken before age 18: CKD-EPI is for adults, none calculated"
    ]


def test_a_censored_creatinine_gives_no_calculated_egfr() -> None:
    found = egfr_series(
        reported=[],
        creatinine=[creatinine("2024-01-10", 20, "<")],
        birth_date=day("1960-01-01"),
        sex=Sex.MALE,
        equation=EgfrEquation.CKD_EPI_2009,
    )
    assert found.results == []
    assert "comparator" in found.warnings[0]


def test_a_reported_egfr_keeps_its_comparator() -> None:
    found = egfr_series(
        reported=[egfr("2024-01-10", 90, ">")],
        creatinine=[],
        birth_date=day("1960-01-01"),
        sex=Sex.MALE,
        equation=EgfrEquation.CKD_EPI_2009,
    )
    assert (found.results[0].value, found.results[0].comparator) == (90, ">")


def test_the_series_is_in_time_order_whatever_its_origin() -> None:
    found = egfr_series(
        reported=[egfr("2024-01-10", 52), egfr("2024-03-10", 50)],
        creatinine=[creatinine("2024-02-10", 120), creatinine("2024-04-10", 125)],
        birth_date=day("1960-01-01"),
        sex=Sex.MALE,
        equation=EgfrEquation.CKD_EPI_2009,
    )
    assert [r.day.isoformat() for r in found.results] == [
        "2024-01-10",
        "2024-02-10",
        "2024-03-10",
        "2024-04-10",
    ]
