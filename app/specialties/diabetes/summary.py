"""The diabetes summary: the shared envelope, then the glycaemic reading a diabetologist looks at first."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from app.specialties.analytes import ACR, DIASTOLIC_BP, EGFR, HBA1C, SYSTOLIC_BP
from app.specialties.base import SummaryContext
from app.specialties.diabetes.analytes import FASTING_GLUCOSE
from app.specialties.diabetes.criteria import diabetes_criteria, individual_target
from app.specialties.diabetes.definitions import GlycaemicOutcome, glycaemic_outcome
from app.specialties.diabetes.facts import DiabetesFacts, Reading
from app.specialties.diabetes.glycaemia import DayResult, GlycaemicPicture, glycaemic_picture
from app.specialties.diabetes.record_facts import diabetes_facts, medicine_fact
from app.specialties.diabetes.units import hba1c_percent_from_mmol_mol
from app.specialties.envelope import criterion_result, envelope, medicines_public
from schemas.api.summary import (
    ResultValue,
    SpecialtySummary,
)
from schemas.clinical import ClinicalRecord


class DiabetesSummary(SpecialtySummary):
    """The diabetes summary: the envelope, then the glycaemic reading of the record."""

    specialty: Literal["diabetes"] = "diabetes"
    glycaemic_outcome: GlycaemicOutcome = Field(description="The most pressing reading of the criteria")
    on_diabetes_register: bool = Field(description="Diabetes coded and not resolved by a later code")
    hba1c_target: int | None = Field(
        description="The NG28 individual target in mmol/mol; null off the register"
    )
    hba1c_target_reason: str | None
    latest_hba1c_percent: float | None = Field(description="The latest HbA1c in DCCT %, one decimal place")
    glucose_lowering_classes: list[str] = Field(description="Classes with an active medicine")


def _value(day: DayResult, unit: str) -> ResultValue:
    return ResultValue(date=day.day, value=day.value, unit=unit, comparator=day.comparator)


def _reading_value(reading: Reading, unit: str) -> ResultValue:
    return ResultValue(date=reading.day, value=reading.value, unit=unit, comparator=reading.comparator)


def _warnings(picture: GlycaemicPicture) -> list[str]:
    warnings = []
    if picture.refused:
        warnings.append(
            f"{len(picture.refused)} HbA1c or fasting glucose results without a known unit were left out"
        )
    if picture.latest_hba1c is None:
        warnings.append(f"No HbA1c {picture.window}: NICE NG28 measures it every 3 to 6 months")
    return warnings


def _latest(facts: DiabetesFacts, picture: GlycaemicPicture) -> dict[str, ResultValue | None]:
    glucose = [_reading_value(r, FASTING_GLUCOSE.canonical_unit) for r in facts.fasting_glucose]
    bp = facts.blood_pressure[-1] if facts.blood_pressure else None
    return {
        HBA1C.code: _value(picture.hba1c[-1], HBA1C.canonical_unit) if picture.hba1c else None,
        FASTING_GLUCOSE.code: glucose[-1] if glucose else None,
        EGFR.code: _reading_value(facts.egfr[-1], EGFR.canonical_unit) if facts.egfr else None,
        ACR.code: _reading_value(facts.acr[-1], ACR.canonical_unit) if facts.acr else None,
        SYSTOLIC_BP.code: None
        if bp is None
        else ResultValue(date=bp.day, value=bp.systolic, unit=SYSTOLIC_BP.canonical_unit),
        DIASTOLIC_BP.code: None
        if bp is None
        else ResultValue(date=bp.day, value=bp.diastolic, unit=DIASTOLIC_BP.canonical_unit),
    }


def build_diabetes_summary(record: ClinicalRecord, *, today: date, generated_at: datetime) -> DiabetesSummary:
    """The diabetes summary of ``record`` on ``today``."""
    facts = diabetes_facts(record, today=today)
    picture = glycaemic_picture(facts)
    outcomes = diabetes_criteria(facts, picture)
    target, why = individual_target(picture) if picture.diabetes else (None, None)
    latest = picture.hba1c[-1] if picture.hba1c else None
    criteria = [criterion_result(o) for o in outcomes]
    medicines = medicines_public(record.medications, lambda m: medicine_fact(m).classes)
    context = SummaryContext(today=today, generated_at=generated_at)
    # The series are the glycaemic picture's, one HbA1c a day in mmol/mol, not the record's reported results.
    series = {
        HBA1C.code: [_value(day, HBA1C.canonical_unit) for day in picture.hba1c],
        FASTING_GLUCOSE.code: [
            _reading_value(r, FASTING_GLUCOSE.canonical_unit) for r in facts.fasting_glucose
        ],
        EGFR.code: [_reading_value(r, EGFR.canonical_unit) for r in facts.egfr],
        ACR.code: [_reading_value(r, ACR.canonical_unit) for r in facts.acr],
    }
    return DiabetesSummary(
        **{
            **envelope(
                record,
                context,
                analytes=(),
                criteria=criteria,
                medications=medicines,
                warnings=_warnings(picture),
            ),
            "latest": _latest(facts, picture),
            "series": series,
        },
        glycaemic_outcome=glycaemic_outcome(outcomes),
        on_diabetes_register=bool(picture.diabetes),
        hba1c_target=target,
        hba1c_target_reason=why,
        latest_hba1c_percent=None if latest is None else hba1c_percent_from_mmol_mol(latest.value),
        glucose_lowering_classes=list(picture.classes),
    )
