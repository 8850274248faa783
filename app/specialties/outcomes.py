"""What every specialty's rules return, and the calendar windows they are stated in.

A criterion is met, not met, or cannot be decided from the record; its evidence says which results decided it.
Windows are calendar months ("within 12 months", "3 years before") rather than day counts, because that is how
NICE states them; a month that lacks the day (31 March minus one month) ends on its last day.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

Status = Literal["met", "not-met", "insufficient-data"]


@dataclass(frozen=True, slots=True)
class CriterionOutcome:
    code: str
    title: str
    status: Status
    evidence: str
    urgency: str | None = None


def months_before(day: date, months: int) -> date:
    """``day`` moved back by whole calendar months, clamped to the end of a shorter month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def lowest_possible(value: float, comparator: str | None) -> float:
    """The smallest value a result allows (results are never negative)."""
    if comparator is None or comparator == ">=":
        return value
    if comparator == ">":
        return math.nextafter(value, math.inf)
    return 0.0


def highest_possible(value: float, comparator: str | None) -> float:
    """The largest value a result allows; unbounded above for ``>`` and for comparators FHIR adds later."""
    if comparator is None or comparator == "<=":
        return value
    if comparator == "<":
        return math.nextafter(value, -math.inf)
    return math.inf


def possible_range(value: float, comparator: str | None) -> tuple[float, float]:
    """The lowest and highest value a result reported as ``>1000`` or ``<5`` (a comparator) allows."""
    return lowest_possible(value, comparator), highest_possible(value, comparator)


def none_found(what: str, *, complete: bool) -> str:
    """Evidence for an absence: a complete record shows there is none; an incomplete one cannot."""
    return f"no {what} recorded" if complete else f"no {what} found, but the record is incomplete"
