"""The eGFR trend chart, laid out on the server as SVG geometry for the template to draw.

One point per eGFR result, the KDIGO category bands behind them (boundaries at 60, 45, 30 and 15), and the
least-squares line with the summary's slope drawn through the mean of the points it was fitted to (the last
three years, as the trend rule says), so the line the consultant sees is the slope the summary reports.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from schemas.api.nephrology import EgfrPoint

WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 40, 12, 36
DAYS_PER_YEAR = 365.25
SLOPE_WINDOW_DAYS = 3 * 365
# (floor, ceiling, label, css class): the KDIGO G categories from the top of the chart down.
BANDS = (
    (90.0, None, "G1", "band-g1"),
    (60.0, 90.0, "G2", "band-g2"),
    (45.0, 60.0, "G3a", "band-g3a"),
    (30.0, 45.0, "G3b", "band-g3b"),
    (15.0, 30.0, "G4", "band-g4"),
    (0.0, 15.0, "G5", "band-g5"),
)
Y_TICKS = (0, 15, 30, 45, 60, 90)


@dataclass(frozen=True, slots=True)
class PlottedPoint:
    x: float
    y: float
    point: EgfrPoint


@dataclass(frozen=True, slots=True)
class Band:
    y: float
    height: float
    label: str
    css: str
    label_y: float


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, slots=True)
class EgfrChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    points: list[PlottedPoint]
    bands: list[Band]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    trend: Line | None


def _date_range(dates: Sequence[dt.date]) -> tuple[dt.date, dt.date]:
    first, last = min(dates), max(dates)
    # A margin either side keeps the first and last points clear of the axes.
    margin = dt.timedelta(days=max(30, (last - first).days // 30))
    return first - margin, last + margin


def egfr_chart(series: Sequence[EgfrPoint], slope_per_year: float | None) -> EgfrChart | None:
    if not series:
        return None
    first, last = _date_range([point.date for point in series])
    top_value = max(100.0, math.ceil(max(point.value for point in series) / 10) * 10 + 10)
    span_days = (last - first).days

    def x_of(day: dt.date) -> float:
        return round(LEFT + (day - first).days / span_days * (WIDTH - LEFT - RIGHT), 1)

    def y_of(value: float) -> float:
        clamped = min(max(value, 0.0), top_value)
        return round(HEIGHT - BOTTOM - clamped / top_value * (HEIGHT - TOP - BOTTOM), 1)

    bands = []
    for floor, ceiling, label, css in BANDS:
        upper, lower = y_of(ceiling if ceiling is not None else top_value), y_of(floor)
        bands.append(Band(upper, round(lower - upper, 1), label, css, round((upper + lower) / 2 + 4, 1)))
    x_ticks = [
        Tick(x_of(dt.date(year, 1, 1)), str(year))
        for year in range(first.year + 1, last.year + 1)
        if dt.date(year, 1, 1) <= last
    ] or [Tick(x_of(first), f"{first:%b %Y}")]
    return EgfrChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        points=[PlottedPoint(x_of(p.date), y_of(p.value), p) for p in sorted(series, key=lambda p: p.date)],
        bands=bands,
        x_ticks=x_ticks,
        y_ticks=[Tick(y_of(value), str(value)) for value in Y_TICKS if value <= top_value],
        trend=_trend(series, slope_per_year, x_of, y_of),
    )


def _trend(
    series: Sequence[EgfrPoint],
    slope: float | None,
    x_of: Callable[[dt.date], float],
    y_of: Callable[[float], float],
) -> Line | None:
    if slope is None:
        return None
    latest = max(point.date for point in series)
    by_day: dict[dt.date, list[float]] = {}
    for point in series:
        if (latest - point.date).days <= SLOPE_WINDOW_DAYS:
            by_day.setdefault(point.date, []).append(point.value)
    # Same-day results are averaged first, as the trend rule does, so the line passes through its centre.
    days = sorted(by_day)
    start = days[0]
    times = [(day - start).days / DAYS_PER_YEAR for day in days]
    mean_time = math.fsum(times) / len(times)
    mean_value = math.fsum(math.fsum(by_day[day]) / len(by_day[day]) for day in days) / len(days)

    def value_at(day: dt.date) -> float:
        return mean_value + slope * ((day - start).days / DAYS_PER_YEAR - mean_time)

    return Line(x_of(start), y_of(value_at(start)), x_of(latest), y_of(value_at(latest)))
