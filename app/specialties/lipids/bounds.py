"""Threshold comparisons that respect censored results.

A laboratory reports a value beyond its measuring range with a comparator (triglyceride ">20"). A comparison
is True or False only when every value the result allows agrees; otherwise it is None and the rule reports
insufficient data rather than guessing.
"""

from __future__ import annotations

from app.specialties.lipids.profile import LipidResult


def above(result: LipidResult, threshold: float) -> bool | None:
    """Whether the result is above ``threshold``; None when a censored result leaves it open."""
    value, comparator = result.value, result.comparator
    if comparator is None:
        return value > threshold
    if comparator == ">":
        return True if value >= threshold else None
    if comparator == ">=":
        return True if value > threshold else None
    if comparator in ("<", "<="):
        return False if value <= threshold else None
    return None


def at_least(result: LipidResult, threshold: float) -> bool | None:
    """Whether the result is ``threshold`` or more; None when a censored result leaves it open."""
    value, comparator = result.value, result.comparator
    if comparator is None:
        return value >= threshold
    if comparator in (">", ">="):
        return True if value >= threshold else None
    if comparator == "<":
        return False if value <= threshold else None
    if comparator == "<=":
        return False if value < threshold else None
    return None


def shown(result: LipidResult) -> str:
    """A result as evidence prints it: one decimal place, as a laboratory reports lipids, comparator kept."""
    return f"{result.comparator or ''}{result.value:.1f}"
