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

_ABOVE = frozenset({">", ">="})
_BELOW = frozenset({"<", "<="})


def lowest_possible(value: float, comparator: str | None) -> float:
    """The smallest value the result allows (results are never negative)."""
    if comparator is None or comparator == ">=":
        return value
    if comparator == ">":
        return math.nextafter(value, math.inf)
    return 0.0


def highest_possible(value: float, comparator: str | None) -> float:
    """The largest value the result allows; unbounded above for ``>`` and for comparators FHIR adds later."""
    if comparator is None or comparator == "<=":
        return value
    if comparator == "<":
        return math.nextafter(value, -math.inf)
    return math.inf


def shown(value: float, comparator: str | None = None) -> str:
    """A value as evidence text shows it: the comparator kept, six significant digits."""
    return f"{comparator or ''}{value:g}"


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
