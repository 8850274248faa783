"""One lipid profile a day: the reported results, with non-HDL and LDL computed where the sample allows.

- Non-HDL cholesterol is total cholesterol minus HDL (NICE NG238; the non-HDL NICE prefers needs no fasting
  sample). It is computed when the laboratory did not report it and both parts come from the same day.
- LDL cholesterol is taken as reported (direct or the laboratory's own calculation). When it is not, it is
  computed by the Friedewald equation in mmol/L, LDL = TC - HDL - TG / 2.2, and only where Friedewald is
  valid: all three from the same day, none censored, and triglyceride not above 4.5 mmol/L (Friedewald 1972;
  NICE CG181 "LDL cholesterol ... requires ... triglyceride levels <4.5 mmol/L"; exactly 4.5 is computed,
  since the invalid range is "above 4.5"). A result of zero or less is not an LDL and is not kept.
- Same-day results of one analyte are averaged (as nephrology averages eGFR); a day with only censored results
  (">20") keeps the last, and a computed value is never built from a censored part.
Computed values are rounded to one decimal place, as a laboratory would print them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.specialties.lipids.units import Lipid, reported

FRIEDEWALD_TG_LIMIT = 4.5
"""mmol/L: Friedewald is not valid when triglyceride is above this."""
FRIEDEWALD_TG_DIVISOR = 2.2
"""TG / 2.2 estimates VLDL cholesterol in mmol/L (TG / 5 in mg/dL)."""


class Origin(StrEnum):
    REPORTED = "reported"
    COMPUTED = "computed"
    FRIEDEWALD = "friedewald"


@dataclass(frozen=True, slots=True)
class LipidResult:
    """A result in mmol/L on a day; ``comparator`` as the laboratory sent it (">", "<"...) or None."""

    day: date
    value: float
    comparator: str | None = None
    origin: Origin = Origin.REPORTED


def daily(results: Iterable[LipidResult]) -> list[LipidResult]:
    """One result per day, oldest first: exact results averaged, else the day's last censored result."""
    exact: dict[date, list[float]] = {}
    censored: dict[date, LipidResult] = {}
    for item in results:
        if item.comparator is None:
            exact.setdefault(item.day, []).append(item.value)
        else:
            censored[item.day] = item
    return [
        LipidResult(day, math.fsum(exact[day]) / len(exact[day])) if day in exact else censored[day]
        for day in sorted(exact.keys() | censored.keys())
    ]


def non_hdl(total: LipidResult, hdl: LipidResult) -> LipidResult | None:
    """TC - HDL from the same day, or None when they differ in day or either is censored."""
    if total.day != hdl.day or total.comparator or hdl.comparator:
        return None
    return LipidResult(total.day, reported(total.value - hdl.value), origin=Origin.COMPUTED)


def friedewald_ldl(total: LipidResult, hdl: LipidResult, triglycerides: LipidResult) -> LipidResult | None:
    """Friedewald LDL in mmol/L where it is valid (see the module note), else None."""
    parts = (total, hdl, triglycerides)
    if len({part.day for part in parts}) != 1 or any(part.comparator for part in parts):
        return None
    if triglycerides.value > FRIEDEWALD_TG_LIMIT:
        return None
    ldl = reported(total.value - hdl.value - triglycerides.value / FRIEDEWALD_TG_DIVISOR)
    return LipidResult(total.day, ldl, origin=Origin.FRIEDEWALD) if ldl > 0 else None


@dataclass(frozen=True, slots=True)
class LipidSeries:
    """Every lipid analyte as one result a day, with computed non-HDL and LDL filled in."""

    total_cholesterol: tuple[LipidResult, ...]
    hdl: tuple[LipidResult, ...]
    ldl: tuple[LipidResult, ...]
    non_hdl: tuple[LipidResult, ...]
    triglycerides: tuple[LipidResult, ...]

    def of(self, lipid: Lipid) -> tuple[LipidResult, ...]:
        return {
            Lipid.TOTAL_CHOLESTEROL: self.total_cholesterol,
            Lipid.HDL: self.hdl,
            Lipid.LDL: self.ldl,
            Lipid.NON_HDL: self.non_hdl,
            Lipid.TRIGLYCERIDES: self.triglycerides,
        }[lipid]


def lipid_series(reported_results: Mapping[Lipid, Sequence[LipidResult]]) -> LipidSeries:
    """The daily series of each lipid, computing non-HDL and Friedewald LDL on days that lack them."""
    days = {lipid: {r.day: r for r in daily(reported_results.get(lipid, ()))} for lipid in Lipid}
    total, hdl, tg = days[Lipid.TOTAL_CHOLESTEROL], days[Lipid.HDL], days[Lipid.TRIGLYCERIDES]
    non_hdl_days = dict(days[Lipid.NON_HDL])
    ldl_days = dict(days[Lipid.LDL])
    for day in total.keys() & hdl.keys():
        if day not in non_hdl_days and (computed := non_hdl(total[day], hdl[day])) is not None:
            non_hdl_days[day] = computed
        estimated = friedewald_ldl(total[day], hdl[day], tg[day]) if day in tg else None
        if day not in ldl_days and estimated is not None:
            ldl_days[day] = estimated

    def ordered(by_day: Mapping[date, LipidResult]) -> tuple[LipidResult, ...]:
        return tuple(by_day[day] for day in sorted(by_day))

    return LipidSeries(ordered(total), ordered(hdl), ordered(ldl_days), ordered(non_hdl_days), ordered(tg))


# Threshold comparisons that respect censored results: a laboratory reports a value beyond its measuring range
# with a comparator (triglyceride ">20"). A comparison is True or False only when every value the result
# allows agrees; otherwise it is None and the rule reports insufficient data rather than guessing.


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
