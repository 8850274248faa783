"""The facts the diabetes rules read, taken from a normalised GP record.

The records layer has already brought every HbA1c to mmol/mol; a result reported in % is handed back to the
rules as the % the laboratory wrote (recovered from the exact conversion, to two places), so that the rules
round it as a laboratory does and prefer a same-day IFCC value over it (glycaemia.py).
"""

from __future__ import annotations

from datetime import date

from app.records.value_sets import SNOMED_SYSTEMS
from app.specialties.analytes import ACR, EGFR, HBA1C
from app.specialties.diabetes.analytes import FASTING_GLUCOSE
from app.specialties.diabetes.facts import (
    BloodPressureReading,
    ConditionFact,
    DiabetesFacts,
    MedicineFact,
    Reading,
)
from app.specialties.diabetes.medicines import glucose_lowering_classes
from app.specialties.diabetes.units import DCCT_OFFSET, HBA1C_PERCENT_UNITS, IFCC_SLOPE
from app.specialties.envelope import age_on
from app.specialties.medicines import medicine_text
from schemas.clinical import ClinicalRecord, Condition, Measurement, Medication

_NOT_ACTIVE = frozenset({"resolved", "inactive"})


def _reading(measurement: Measurement) -> Reading:
    return Reading(measurement.taken_at.date(), measurement.value, measurement.unit, measurement.comparator)


def _hba1c(measurement: Measurement) -> Reading:
    reported = (measurement.provenance.unit or "").strip().lower()
    if reported in HBA1C_PERCENT_UNITS:
        percent = round(measurement.value / float(IFCC_SLOPE) + float(DCCT_OFFSET), 2)
        return Reading(measurement.taken_at.date(), percent, "%", measurement.comparator)
    return _reading(measurement)


def medicine_fact(medication: Medication) -> MedicineFact:
    classes = glucose_lowering_classes(medicine_text(medication))
    return MedicineFact(medication.name, classes, medication.authored_on, medication.status == "active")


def _condition(condition: Condition) -> ConditionFact:
    codes = tuple(c.code.strip() for c in condition.codings if c.system in SNOMED_SYSTEMS)
    text = condition.display or next((c.display for c in condition.codings if c.display), "") or ""
    active = (condition.clinical_status or "active").lower() not in _NOT_ACTIVE
    return ConditionFact(codes, text, condition.onset, active)


def diabetes_facts(record: ClinicalRecord, *, today: date) -> DiabetesFacts:
    """The record as the diabetes rules read it, on ``today``."""
    birth = record.patient.birth_date
    return DiabetesFacts(
        today=today,
        hba1c=tuple(_hba1c(m) for m in record.series(HBA1C.code)),
        fasting_glucose=tuple(_reading(m) for m in record.series(FASTING_GLUCOSE.code)),
        medicines=tuple(medicine_fact(m) for m in record.medications),
        conditions=tuple(_condition(c) for c in record.conditions),
        egfr=tuple(_reading(m) for m in record.series(EGFR.code)),
        acr=tuple(_reading(m) for m in record.series(ACR.code)),
        blood_pressure=tuple(
            BloodPressureReading(bp.taken_at.date(), bp.systolic, bp.diastolic)
            for bp in record.blood_pressures
        ),
        age_years=None if birth is None else age_on(birth, today),
        sex=str(record.patient.sex),
        record_complete=record.complete,
    )
