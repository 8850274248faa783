"""One HbA1c a day, in whole mmol/mol, and the picture every criterion reads.

A laboratory that reports IFCC mmol/mol often prints the DCCT % of the same sample beside it, and GP systems
file both (OpenSAFELY's HbA1c notes): a day's results are one result. The IFCC value is preferred, being what
the laboratory measured and reported in the unit NICE uses; a day with only % results takes their converted
values. Several results of one kind on a day are averaged and rounded again as a laboratory would. A day with
only censored results (``>130``) keeps the last of them; an average of bounds is not a bound of anything.
Results dated after today are not read: they cannot be the latest of anything yet.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from app.specialties.diabetes.conditions import diabetes_on_register
from app.specialties.diabetes.facts import ConditionFact, DiabetesFacts, Reading
from app.specialties.diabetes.medicines import HYPOGLYCAEMIA_CLASSES
from app.specialties.diabetes.units import (
    HBA1C_MMOL_MOL_UNITS,
    glucose_mmol_l,
    hba1c_mmol_mol,
    hba1c_percent_from_mmol_mol,
    lab_rounded_hba1c,
)
from app.specialties.outcomes import highest_possible, lowest_possible, months_before

WINDOW_MONTHS = 12
"""Every criterion reads the latest result in the 12 months up to today (QOF's "preceding 12 months")."""


@dataclass(frozen=True, slots=True)
class DayResult:
    """The value that stands for one day's results, and how evidence shows it."""

    day: date
    value: float
    comparator: str | None
    shown: str

    def lowest(self) -> float:
        return lowest_possible(self.value, self.comparator)

    def highest(self) -> float:
        return highest_possible(self.value, self.comparator)

    def at_least(self, threshold: float) -> bool | None:
        """Whether the result is ``threshold`` or more; None when a censored result leaves it open."""
        if self.lowest() >= threshold:
            return True
        return False if self.highest() < threshold else None

    def above(self, threshold: float) -> bool | None:
        if self.lowest() > threshold:
            return True
        return False if self.highest() <= threshold else None


def _hba1c_text(mmol_mol: float, comparator: str | None, percent_reported: float | None) -> str:
    ifcc = f"{comparator or ''}{mmol_mol:g} mmol/mol"
    if percent_reported is not None:
        return f"{ifcc} (reported as {comparator or ''}{percent_reported:g}%)"
    return f"{ifcc} ({hba1c_percent_from_mmol_mol(mmol_mol):.1f}%)"


def _one_day(day: date, readings: Sequence[tuple[Reading, int]]) -> DayResult:
    """The day's readings, each with its whole mmol/mol: the IFCC results if any, else the % results."""
    ifcc = [pair for pair in readings if (pair[0].unit or "").strip().lower() in HBA1C_MMOL_MOL_UNITS]
    chosen = ifcc or readings
    exact = [pair for pair in chosen if pair[0].comparator is None]
    if exact:
        values = [mmol_mol for _, mmol_mol in exact]
        value = values[0] if len(values) == 1 else lab_rounded_hba1c(math.fsum(values) / len(values))
        percent = exact[-1][0].value if not ifcc and len(exact) == 1 else None
        return DayResult(day, value, None, _hba1c_text(value, None, percent))
    last, value = chosen[-1]
    percent = last.value if not ifcc else None
    return DayResult(day, value, last.comparator, _hba1c_text(value, last.comparator, percent))


def daily_hba1c(readings: Iterable[Reading], today: date) -> tuple[list[DayResult], list[Reading]]:
    """One HbA1c a day up to today, oldest first, and the readings refused for a missing or unknown unit."""
    by_day: dict[date, list[tuple[Reading, int]]] = {}
    refused: list[Reading] = []
    for reading in readings:
        mmol_mol = hba1c_mmol_mol(reading.value, reading.unit)  # converted once: Decimal rounding is slow
        if mmol_mol is None:
            refused.append(reading)
        elif reading.day <= today:
            by_day.setdefault(reading.day, []).append((reading, mmol_mol))
    return [_one_day(day, by_day[day]) for day in sorted(by_day)], refused


def daily_fasting_glucose(readings: Iterable[Reading], today: date) -> tuple[list[DayResult], list[Reading]]:
    """One fasting glucose a day in mmol/L (the day's mean, one decimal place), and the refused readings."""
    by_day: dict[date, list[float]] = {}
    refused: list[Reading] = []
    for reading in readings:
        value = glucose_mmol_l(reading.value, reading.unit) if reading.comparator is None else None
        if value is None:
            refused.append(reading)
        elif reading.day <= today:
            by_day.setdefault(reading.day, []).append(value)
    days = []
    for day in sorted(by_day):
        mean = glucose_mmol_l(math.fsum(by_day[day]) / len(by_day[day]), "mmol/L") or 0.0
        days.append(DayResult(day, mean, None, f"{mean:.1f} mmol/L"))
    return days, refused


@dataclass(frozen=True, slots=True)
class GlycaemicPicture:
    """What every criterion reads, worked out once from the facts."""

    today: date
    since: date
    hba1c: list[DayResult]
    latest_hba1c: DayResult | None
    latest_fasting_glucose: DayResult | None
    diabetes: list[ConditionFact]
    classes: dict[str, list[str]]
    refused: list[Reading]
    record_complete: bool

    @property
    def hypoglycaemia_drugs(self) -> dict[str, list[str]]:
        return {code: names for code, names in self.classes.items() if code in HYPOGLYCAEMIA_CLASSES}

    @property
    def window(self) -> str:
        return f"in the 12 months up to {self.today} (since {self.since})"


def _latest_since(days: Sequence[DayResult], since: date) -> DayResult | None:
    return days[-1] if days and days[-1].day >= since else None


def glycaemic_picture(facts: DiabetesFacts) -> GlycaemicPicture:
    since = months_before(facts.today, WINDOW_MONTHS)
    hba1c, refused_hba1c = daily_hba1c(facts.hba1c, facts.today)
    glucose, refused_glucose = daily_fasting_glucose(facts.fasting_glucose, facts.today)
    return GlycaemicPicture(
        today=facts.today,
        since=since,
        hba1c=hba1c,
        latest_hba1c=_latest_since(hba1c, since),
        latest_fasting_glucose=_latest_since(glucose, since),
        diabetes=diabetes_on_register(facts.conditions),
        classes=facts.active_classes(),
        refused=[*refused_hba1c, *refused_glucose],
        record_complete=facts.record_complete,
    )
