"""Properties the equations and categories must hold for any input, not only the published checks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from hypothesis import given
from hypothesis import strategies as st

from app.specialties.nephrology.egfr import EgfrEquation, calculated_egfr
from app.specialties.nephrology.kdigo import G_ORDER, a_category, g_category, kdigo_risk
from app.specialties.nephrology.kfre import kidney_failure_risk_percent
from app.specialties.nephrology.results import DayValue
from app.specialties.nephrology.trend import ols_slope_per_year
from schemas.api.nephrology import ACategory, GCategory, KdigoRisk, KfreCalibration

creatinines = st.floats(min_value=20.0, max_value=2000.0)
ages = st.integers(min_value=18, max_value=110)
egfrs = st.floats(min_value=1.0, max_value=59.99)
acrs_mg_g = st.floats(min_value=1.0, max_value=5000.0)
RISK_ORDER = list(KdigoRisk)


@given(
    low=creatinines,
    rise=st.floats(min_value=0.5, max_value=500.0),
    age=ages,
    female=st.booleans(),
    equation=st.sampled_from(EgfrEquation),
)
def test_egfr_falls_as_creatinine_rises(
    low: float, rise: float, age: int, female: bool, equation: EgfrEquation
) -> None:
    before = calculated_egfr(creatinine_umol_l=low, age_years=age, female=female, equation=equation)
    after = calculated_egfr(creatinine_umol_l=low + rise, age_years=age, female=female, equation=equation)
    assert after < before


@given(
    low=acrs_mg_g,
    factor=st.floats(min_value=1.01, max_value=10.0),
    egfr=egfrs,
    male=st.booleans(),
    years=st.sampled_from([2, 5]),
    calibration=st.sampled_from(KfreCalibration),
)
def test_kfre_rises_with_acr(
    low: float, factor: float, egfr: float, male: bool, years: Literal[2, 5], calibration: KfreCalibration
) -> None:
    def risk(acr_mg_g: float) -> float:
        return kidney_failure_risk_percent(
            age_years=65, male=male, egfr=egfr, acr_mg_g=acr_mg_g, years=years, calibration=calibration
        )

    assert risk(low * factor) > risk(low)


@given(
    low=st.floats(min_value=5.0, max_value=50.0),
    rise=st.floats(min_value=0.5, max_value=50.0),
    acr_mg_g=st.floats(min_value=10.0, max_value=3000.0),
    years=st.sampled_from([2, 5]),
)
def test_kfre_falls_as_egfr_rises(low: float, rise: float, acr_mg_g: float, years: Literal[2, 5]) -> None:
    def risk(egfr: float) -> float:
        return kidney_failure_risk_percent(age_years=65, male=True, egfr=egfr, acr_mg_g=acr_mg_g, years=years)

    assert risk(low + rise) < risk(low)


@given(st.floats(min_value=0.0, max_value=200.0), st.floats(min_value=0.0, max_value=200.0))
def test_g_categories_never_improve_as_egfr_falls(first: float, second: float) -> None:
    higher, lower = max(first, second), min(first, second)
    assert G_ORDER.index(g_category(lower)) >= G_ORDER.index(g_category(higher))


@given(st.floats(min_value=0.0, max_value=1000.0), st.floats(min_value=0.0, max_value=1000.0))
def test_a_categories_never_improve_as_acr_rises(first: float, second: float) -> None:
    order = list(ACategory)
    assert order.index(a_category(max(first, second))) >= order.index(a_category(min(first, second)))


@given(
    st.sampled_from(GCategory),
    st.sampled_from(GCategory),
    st.sampled_from(ACategory),
    st.sampled_from(ACategory),
)
def test_kdigo_risk_never_falls_as_either_category_worsens(
    g1: GCategory, g2: GCategory, a1: ACategory, a2: ACategory
) -> None:
    better_g, worse_g = sorted((g1, g2), key=G_ORDER.index)
    better_a, worse_a = sorted((a1, a2), key=list(ACategory).index)
    assert RISK_ORDER.index(kdigo_risk(worse_g, worse_a)) >= RISK_ORDER.index(kdigo_risk(better_g, better_a))


@given(
    offsets=st.lists(st.integers(min_value=0, max_value=1095), min_size=3, max_size=20, unique=True),
    slope=st.floats(min_value=-30.0, max_value=10.0),
    start=st.floats(min_value=10.0, max_value=120.0),
)
def test_the_slope_of_results_on_a_straight_line_is_that_line(
    offsets: list[int], slope: float, start: float
) -> None:
    offsets.sort()
    origin = date(2020, 1, 1)
    days = [DayValue(origin + timedelta(days=d), start + slope * d / 365.25) for d in offsets]
    fitted = ols_slope_per_year(days)
    if offsets[-1] - offsets[0] < 90:
        assert fitted is None
    else:
        assert fitted is not None
        assert abs(fitted - slope) < 1e-6
