"""The series chart scales its value axis to the results and cuts the threshold bands to it."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.specialties.nephrology.plugin import EGFR_BANDS as KDIGO_G_BANDS
from app.web.chart import ChartValue, Series, ThresholdBand, Trend, series_chart, value_axis
from app.web.summary_view import band_of

DAY = dt.date(2024, 3, 1)
EGFR_BANDS = [band_of(band) for band in KDIGO_G_BANDS]


def _series(*values: float) -> Series:
    return Series(
        "x",
        "series-main",
        [ChartValue(DAY + dt.timedelta(days=90 * i), v, f"{v}") for i, v in enumerate(values)],
    )


def test_the_value_axis_hugs_the_results_rather_than_starting_at_zero() -> None:
    bottom, top, step = value_axis([38.0, 44.0])
    assert 30 <= bottom < 38
    assert 44 < top <= 50
    assert step in (1.0, 2.0, 2.5, 5.0)


def test_the_value_axis_never_goes_below_zero_for_results_that_do_not() -> None:
    bottom, _, _ = value_axis([0.4, 2.0])
    assert bottom == 0


@given(st.lists(st.floats(min_value=-500, max_value=5000, allow_nan=False), min_size=1, max_size=30))
def test_every_result_lies_on_the_axis(values: list[float]) -> None:
    bottom, top, step = value_axis(values)
    assert bottom <= min(values)
    assert max(values) <= top
    assert step > 0
    assert (top - bottom) / step <= 12


def test_the_egfr_chart_keeps_its_kdigo_boundaries_cut_to_the_axis() -> None:
    chart = series_chart("egfr", "eGFR", "mL/min/1.73m²", [_series(47, 44, 38, 36)], EGFR_BANDS)
    assert chart is not None
    # The axis runs from about 30 to 50: G3a and G3b show, and the boundary at 45 between them.
    labels = [band.label for band in chart.bands if band.label]
    assert sorted(labels) == ["G3a", "G3b"]
    assert next(tick.label for tick in chart.y_ticks) in ("30", "32", "34", "35")


def test_points_sit_inside_the_plot_and_the_trend_spans_the_window() -> None:
    line = _series(60, 55, 52, 50, 45)
    chart = series_chart("egfr", "eGFR", "u", [line], EGFR_BANDS, (line, Trend(-10.0, 3 * 365)))
    assert chart is not None
    assert chart.trend is not None
    for point in chart.series[0].points:
        assert chart.plot_left <= point.x <= chart.plot_right
        assert chart.plot_top <= point.y <= chart.plot_bottom
    assert chart.trend.x1 == chart.series[0].points[0].x


def test_a_single_result_gets_a_dated_tick_and_no_chart_without_results() -> None:
    chart = series_chart(
        "bp", "Blood pressure", "mmHg", [_series(131)], (ThresholdBand(140, None, "≥140", "b"),)
    )
    assert chart is not None
    assert [tick.label for tick in chart.x_ticks] == ["1 Mar 2024"]
    assert series_chart("acr", "ACR", "mg/mmol", [_series()]) is None
