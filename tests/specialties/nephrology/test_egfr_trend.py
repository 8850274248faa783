"""The eGFR slope: OLS over 3 years, same-day averaging, at least 3 days spanning 90 days."""

from __future__ import annotations

import pytest

from app.specialties.nephrology.egfr import EgfrResult
from app.specialties.nephrology.trend import daily_egfr, egfr_slope_per_year
from schemas.api.nephrology import EgfrOrigin
from tests.specialties.nephrology.factories import at

# CLINICAL.md gives the check to three decimals.
SLOPE_TOLERANCE = 0.001


def _results(*points: tuple[str, float]) -> list[EgfrResult]:
    return [EgfrResult(at(when), value, EgfrOrigin.REPORTED) for when, value in points]


def _slope(results: list[EgfrResult]) -> float | None:
    return egfr_slope_per_year(daily_egfr(results))


def test_the_published_series_falls_6_407_a_year() -> None:
    results = _results(("2023-01-01", 60), ("2023-07-02", 57), ("2024-01-01", 55), ("2024-07-01", 50))
    assert _slope(results) == pytest.approx(-6.407, abs=SLOPE_TOLERANCE)


def test_results_on_the_same_day_are_averaged_before_fitting() -> None:
    averaged = _results(("2023-01-01", 60), ("2023-07-02", 57), ("2024-01-01", 55), ("2024-07-01", 50))
    repeated = _results(
        ("2023-01-01", 60),
        ("2023-07-02", 57),
        ("2024-01-01", 53),
        ("2024-01-01", 57),
        ("2024-07-01", 50),
    )
    assert _slope(repeated) == pytest.approx(_slope(averaged), rel=1e-12)


def test_two_days_give_no_slope() -> None:
    assert _slope(_results(("2023-01-01", 60), ("2024-01-01", 50))) is None


def test_three_results_on_two_days_give_no_slope() -> None:
    results = _results(("2023-01-01", 60), ("2024-01-01", 50), ("2024-01-01", 52))
    assert _slope(results) is None


def test_three_days_spanning_89_days_give_no_slope() -> None:
    results = _results(("2024-01-01", 60), ("2024-02-01", 55), ("2024-03-30", 50))
    assert _slope(results) is None


def test_three_days_spanning_exactly_90_days_give_a_slope() -> None:
    results = _results(("2024-01-01", 60), ("2024-02-01", 55), ("2024-03-31", 50))
    assert _slope(results) is not None


def test_a_result_exactly_3_years_before_the_latest_is_in_the_window() -> None:
    recent = [("2022-01-01", 50.0), ("2023-01-01", 50.0), ("2024-01-01", 50.0)]
    assert _slope(_results(("2021-01-01", 80), *recent)) != pytest.approx(0.0)


def test_a_result_3_years_and_a_day_before_the_latest_is_not() -> None:
    recent = [("2022-01-01", 50.0), ("2023-01-01", 50.0), ("2024-01-01", 50.0)]
    assert _slope(_results(("2020-12-31", 80), *recent)) == pytest.approx(0.0)
