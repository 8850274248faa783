"""The eGFR trend: ordinary least-squares slope in mL/min/1.73m2 per year (CLINICAL.md, "eGFR trend").

Results on one day are averaged first, so a repeated sample does not weigh twice; time is in years of
365.25 days. A slope needs at least 3 days with results spanning at least 90 days, else there is none: two
points always fit a line exactly, and a fortnight of results shows acute change rather than a trend.
A censored result (``>90``) enters at its stated bound, which can only understate a decline from above it.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence

from app.specialties.nephrology.dates import DAYS_PER_YEAR, shift_months, years_between
from app.specialties.nephrology.egfr import EgfrResult
from app.specialties.nephrology.results import DayValue, daily_values, rounded

SLOPE_WINDOW_MONTHS = 36
MIN_DAYS = 3
MIN_SPAN_DAYS = 90


def daily_egfr(results: Sequence[EgfrResult]) -> list[DayValue]:
    """One eGFR a day, oldest first: what the trend and the decline criteria read."""
    return daily_values((result.day, result.value, result.comparator) for result in results)


def days_up_to_latest(days: Sequence[DayValue], *, months: int) -> Sequence[DayValue]:
    """The days within ``months`` calendar months before the latest one, inclusive."""
    if not days:
        return days
    start = shift_months(days[-1].day, -months)
    return days[bisect_left(days, start, key=lambda point: point.day) :]


def ols_slope_per_year(days: Sequence[DayValue]) -> float | None:
    """The least-squares slope of value on time in years, or None below 3 days or a 90-day span."""
    if len(days) < MIN_DAYS or (days[-1].day - days[0].day).days < MIN_SPAN_DAYS:
        return None
    times = [years_between(days[0].day, point.day) for point in days]
    mean_time = math.fsum(times) / len(times)
    mean_value = math.fsum(point.value for point in days) / len(days)
    covariance = math.fsum((t - mean_time) * (p.value - mean_value) for t, p in zip(times, days, strict=True))
    variance = math.fsum((t - mean_time) ** 2 for t in times)
    return covariance / variance


def egfr_slope_per_year(days: Sequence[DayValue], *, months: int = SLOPE_WINDOW_MONTHS) -> float | None:
    """The slope of the daily eGFR over the ``months`` (3 years by default) up to the latest result."""
    return ols_slope_per_year(days_up_to_latest(days, months=months))


def slope_in_words(slope: float, days: Sequence[DayValue]) -> str:
    """The slope as a consultant reads it: direction, mL/min/1.73m² a year, the span of results it fits."""
    direction = "falling" if slope < 0 else "rising"
    return (
        f"{direction} {rounded(abs(slope))} mL/min/1.73m² per year over {span_in_words(days)} "
        f"({len(days)} days with results, {days[0].day} to {days[-1].day})"
    )


def span_in_words(days: Sequence[DayValue]) -> str:
    """From the first to the last day: in months under a year, else in years to one decimal place."""
    span = (days[-1].day - days[0].day).days if days else 0
    if span < DAYS_PER_YEAR:
        months = round(span / (DAYS_PER_YEAR / 12))
        return f"{months} {'month' if months == 1 else 'months'}"
    return f"{span / DAYS_PER_YEAR:.1f} years"
