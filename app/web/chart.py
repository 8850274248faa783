"""A series chart for any analyte, laid out on the server as SVG geometry for the template to draw.

One point per result, one line per series (systolic and diastolic share a chart), the specialty's threshold
bands behind them, and optionally a least-squares line with the summary's slope drawn through the mean of
the points it was fitted to, so the line the consultant sees is the slope the summary reports. The value
axis is scaled to the results with a little room either side, so a patient moving between 38 and 44 does not
look flat on an axis from 0 to 100; the bands are cut to the axis.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.web.templating import clinical_date

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 48, 12, 32
DAYS_PER_YEAR = 365.25
# Roughly how many value ticks an axis gets; the step is rounded to 1, 2, 2.5 or 5 times a power of ten.
TARGET_TICKS = 5
# A band shorter than this (in chart units) is shaded but not labelled: its label would not fit.
LABEL_ROOM = 12.0


@dataclass(frozen=True, slots=True)
class ThresholdBand:
    """A shaded range of values: ``floor`` and ``ceiling`` None mean unbounded that way."""

    floor: float | None
    ceiling: float | None
    label: str
    css: str


@dataclass(frozen=True, slots=True)
class ChartValue:
    date: dt.date
    value: float
    text: str
    css: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    css: str
    values: Sequence[ChartValue]
    connected: bool = False


@dataclass(frozen=True, slots=True)
class Trend:
    """A slope per year fitted to the results of the last ``window_days`` days of one series."""

    slope_per_year: float
    window_days: int


@dataclass(frozen=True, slots=True)
class PlottedPoint:
    x: float
    y: float
    value: ChartValue


@dataclass(frozen=True, slots=True)
class PlottedSeries:
    name: str
    css: str
    points: list[PlottedPoint]
    path: str | None


@dataclass(frozen=True, slots=True)
class Band:
    y: float
    height: float
    label: str | None
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
class SeriesChart:
    key: str
    title: str
    unit: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    series: list[PlottedSeries]
    bands: list[Band]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    trend: Line | None

    @property
    def result_count(self) -> int:
        return sum(len(line.points) for line in self.series)


def _date_range(dates: Sequence[dt.date]) -> tuple[dt.date, dt.date]:
    first, last = min(dates), max(dates)
    # A margin either side keeps the first and last points clear of the axes.
    margin = dt.timedelta(days=max(30, (last - first).days // 30))
    return first - margin, last + margin


def _nice_step(span: float) -> float:
    raw = span / TARGET_TICKS
    power = 10.0 ** math.floor(math.log10(raw))
    return next(power * m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if power * m >= raw)


def value_axis(values: Sequence[float]) -> tuple[float, float, float]:
    """The axis's bottom, top and tick step: the results with room either side, never below 0 if none is."""
    low, high = min(values), max(values)
    room = max((high - low) * 0.15, abs(high) * 0.05, 1.0)
    step = _nice_step((high + room) - (low - room))
    bottom = math.floor((low - room) / step) * step
    if low >= 0:
        bottom = max(bottom, 0.0)
    top = math.ceil((high + room) / step) * step
    return bottom, top, step


def _tick_label(value: float, step: float) -> str:
    return f"{value:.0f}" if float(step).is_integer() else f"{round(value, 2):g}"


def series_chart(
    key: str,
    title: str,
    unit: str,
    series: Sequence[Series],
    bands: Sequence[ThresholdBand] = (),
    trend: tuple[Series, Trend] | None = None,
) -> SeriesChart | None:
    """The chart of ``series`` over ``bands``, or None when there is no result to draw."""
    values = [value for line in series for value in line.values]
    if not values:
        return None
    days = [value.date for value in values]
    first, last = _date_range(days)
    bottom, top, step = value_axis([value.value for value in values])
    span_days = (last - first).days

    def x_of(day: dt.date) -> float:
        return round(LEFT + (day - first).days / span_days * (WIDTH - LEFT - RIGHT), 1)

    def y_of(value: float) -> float:
        clamped = min(max(value, bottom), top)
        return round(HEIGHT - BOTTOM - (clamped - bottom) / (top - bottom) * (HEIGHT - TOP - BOTTOM), 1)

    x_ticks = [
        Tick(x_of(dt.date(year, 1, 1)), str(year))
        for year in range(first.year + 1, last.year + 1)
        if dt.date(year, 1, 1) <= last
    ] or [Tick(x_of(day), clinical_date(day)) for day in sorted({min(days), max(days)})]
    # Many years on a narrow chart: every other year keeps the labels apart.
    if len(x_ticks) > 8:
        x_ticks = x_ticks[len(x_ticks) % 2 :: 2]
    ticks = round((top - bottom) / step)
    return SeriesChart(
        key=key,
        title=title,
        unit=unit,
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        series=[_plotted(line, x_of, y_of) for line in series],
        bands=_bands(bands, bottom, top, y_of),
        x_ticks=x_ticks,
        y_ticks=[
            Tick(y_of(bottom + i * step), _tick_label(bottom + i * step, step)) for i in range(ticks + 1)
        ],
        trend=None if trend is None else _trend(trend[0].values, trend[1], x_of, y_of),
    )


def _plotted(line: Series, x_of: Callable[[dt.date], float], y_of: Callable[[float], float]) -> PlottedSeries:
    points = [PlottedPoint(x_of(v.date), y_of(v.value), v) for v in sorted(line.values, key=lambda v: v.date)]
    path = " ".join(f"{p.x},{p.y}" for p in points) if line.connected and len(points) > 1 else None
    return PlottedSeries(line.name, line.css, points, path)


def _bands(
    bands: Sequence[ThresholdBand], bottom: float, top: float, y_of: Callable[[float], float]
) -> list[Band]:
    shown = []
    for band in bands:
        floor = bottom if band.floor is None else max(band.floor, bottom)
        ceiling = top if band.ceiling is None else min(band.ceiling, top)
        if ceiling <= floor:
            continue
        upper, lower = y_of(ceiling), y_of(floor)
        height = round(lower - upper, 1)
        label = band.label if height >= LABEL_ROOM else None
        shown.append(Band(upper, height, label, band.css, round((upper + lower) / 2 + 4, 1)))
    return shown


def _trend(
    values: Sequence[ChartValue],
    trend: Trend,
    x_of: Callable[[dt.date], float],
    y_of: Callable[[float], float],
) -> Line | None:
    if not values:
        return None
    latest = max(value.date for value in values)
    by_day: dict[dt.date, list[float]] = {}
    for value in values:
        if (latest - value.date).days <= trend.window_days:
            by_day.setdefault(value.date, []).append(value.value)
    # Same-day results are averaged first, as the trend rule does, so the line passes through its centre.
    days = sorted(by_day)
    start = days[0]
    times = [(day - start).days / DAYS_PER_YEAR for day in days]
    mean_time = math.fsum(times) / len(times)
    mean_value = math.fsum(math.fsum(by_day[day]) / len(by_day[day]) for day in days) / len(days)

    def value_at(day: dt.date) -> float:
        return mean_value + trend.slope_per_year * ((day - start).days / DAYS_PER_YEAR - mean_time)

    return Line(x_of(start), y_of(value_at(start)), x_of(latest), y_of(value_at(latest)))
