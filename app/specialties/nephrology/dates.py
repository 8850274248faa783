"""Calendar arithmetic the rules share: ages, windows of months, time in years.

Windows are calendar months ("within 12 months", "3 years before") rather than fixed day counts, because that
is how NICE and KDIGO state them; a month that lacks the day (31 March minus one month) ends on its last day.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime

DAYS_PER_YEAR = 365.25
"""The mean Julian year: the time axis of the eGFR slope (CLINICAL.md, "eGFR trend")."""


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def within_months(day: date, anchor: date, months: int) -> bool:
    """True when ``day`` is no more than ``months`` calendar months before or after ``anchor``."""
    return shift_months(anchor, -months) <= day <= shift_months(anchor, months)


def age_in_whole_years(birth_date: date, on: date) -> int:
    """Completed years of age on a date: the age the equations take (CLINICAL.md)."""
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def years_between(start: date, end: date) -> float:
    """Elapsed time in years of 365.25 days."""
    return (end - start).days / DAYS_PER_YEAR


def epoch_seconds(moment: datetime) -> float:
    """Seconds since 1970 UTC, so that aware and naive times order together; a naive time is read as UTC."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()
