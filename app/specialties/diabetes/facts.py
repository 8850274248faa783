"""What the diabetes rules read: a small record of facts, in canonical units, built once per summary.

HbA1c readings keep the unit they were reported in (mmol/mol or %), so that a day's IFCC result can be
preferred over the same sample's DCCT % (glycaemia.py); glucose readings are in mmol/L.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Reading:
    """One reported result: its day, value, unit and comparator (``>``, ``<``) when censored."""

    day: date
    value: float
    unit: str | None
    comparator: str | None = None


@dataclass(frozen=True, slots=True)
class BloodPressureReading:
    day: date
    systolic: float
    diastolic: float


@dataclass(frozen=True, slots=True)
class MedicineFact:
    """A medicine with the glucose-lowering classes its name gives (medicines.glucose_lowering_classes)."""

    name: str
    classes: tuple[str, ...]
    start: date | None
    active: bool


@dataclass(frozen=True, slots=True)
class ConditionFact:
    """A coded problem: SNOMED codes, the text shown for it, its onset and whether it is still active."""

    codes: tuple[str, ...]
    text: str
    onset: date | None
    active: bool = True


@dataclass(frozen=True, slots=True)
class DiabetesFacts:
    today: date
    hba1c: tuple[Reading, ...] = ()
    fasting_glucose: tuple[Reading, ...] = ()
    medicines: tuple[MedicineFact, ...] = ()
    conditions: tuple[ConditionFact, ...] = ()
    egfr: tuple[Reading, ...] = ()
    acr: tuple[Reading, ...] = ()
    blood_pressure: tuple[BloodPressureReading, ...] = field(default=())
    age_years: int | None = None
    sex: str | None = None
    record_complete: bool = True

    def active_classes(self) -> dict[str, list[str]]:
        """Each glucose-lowering class with an active medicine, and the medicines in it."""
        classes: dict[str, list[str]] = {}
        for medicine in self.medicines:
            if medicine.active:
                for code in medicine.classes:
                    classes.setdefault(code, []).append(medicine.name)
        return classes
