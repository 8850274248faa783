"""Facts for the diabetes rule tests: a patient on the register, as of 1 June 2026, unless told otherwise."""

from __future__ import annotations

from datetime import date

from app.specialties.diabetes.facts import ConditionFact, DiabetesFacts, MedicineFact, Reading
from app.specialties.diabetes.medicines import glucose_lowering_classes

TODAY = date(2026, 6, 1)
TYPE_2 = ConditionFact(("44054006",), "Type 2 diabetes mellitus", date(2019, 3, 4))


def medicine(name: str, *, start: date | None = date(2024, 1, 10), active: bool = True) -> MedicineFact:
    return MedicineFact(name, glucose_lowering_classes(name), start, active)


def facts(
    *hba1c: tuple[date, float, str],
    glucose: tuple[tuple[date, float, str], ...] = (),
    medicines: tuple[MedicineFact, ...] = (),
    conditions: tuple[ConditionFact, ...] = (TYPE_2,),
    complete: bool = True,
    today: date = TODAY,
) -> DiabetesFacts:
    return DiabetesFacts(
        today=today,
        hba1c=tuple(Reading(day, value, unit) for day, value, unit in hba1c),
        fasting_glucose=tuple(Reading(day, value, unit) for day, value, unit in glucose),
        medicines=medicines,
        conditions=conditions,
        record_complete=complete,
    )
