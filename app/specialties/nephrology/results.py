"""Results as the rules read them: bounds for censored values, one value a day.

A laboratory reports a value beyond its measuring range with a comparator (eGFR ``>90``, ACR ``<3``).
CLINICAL.md keeps the comparator and counts ``>90`` as at least 90. Rules that compare a result with a
threshold therefore use the bound that makes the comparison certain, and report insufficient data when
neither bound decides it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.specialties.outcomes import highest_possible, lowest_possible

__all__ = ["DayValue", "highest_possible", "lowest_possible", "rounded"]

_ABOVE = frozenset({">", ">="})
_BELOW = frozenset({"<", "<="})


def rounded(value: float) -> str:
    """A number as the clinic reads it: one decimal place at most, a whole number without one.

    More places only where one would round onto a whole number the value is not: every threshold the rules
    compare with is a whole number, and 59.96 shown as "60" would read as not below 60.
    """
    for places in range(1, 7):
        text = f"{value:.{places}f}".rstrip("0").rstrip(".")
        if "." in text or float(text) == value:
            return "0" if text == "-0" else text
    return f"{value:g}"


def shown(value: float, comparator: str | None = None) -> str:
    """A result as evidence text shows it: rounded as the clinic reads it, the comparator kept."""
    return f"{comparator or ''}{rounded(value)}"


@dataclass(frozen=True, slots=True)
class DayValue:
    """The value that stands for one day's results."""

    day: date
    value: float
    comparator: str | None = None


def daily_values(results: Iterable[tuple[date, float, str | None]]) -> list[DayValue]:
    """One value per day, oldest first (CLINICAL.md, "eGFR trend": same-day results are averaged first).

    Exact results of a day are averaged; a day with only censored results keeps the last of them, since an
    average of bounds is not a bound of anything.
    """
    exact: dict[date, list[float]] = {}
    censored: dict[date, tuple[float, str]] = {}
    for day, value, comparator in results:
        if comparator is None:
            exact.setdefault(day, []).append(value)
        else:
            censored[day] = (value, comparator)
    days = sorted(exact.keys() | censored.keys())
    return [
        DayValue(day, math.fsum(exact[day]) / len(exact[day]))
        if day in exact
        else DayValue(day, *censored[day])
        for day in days
    ]
