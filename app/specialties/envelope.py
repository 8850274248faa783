"""The parts of the shared summary envelope every specialty fills the same way, built from the record.

A specialty's ``build_summary`` calls ``envelope`` for the fields every summary carries and adds its own:
``MySummary(**envelope(record, context, analytes=..., criteria=..., medications=...), my_field=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from app.records.medicine_courses import MedicineCourse, medicine_courses
from app.records.value_sets import SNOMED_SYSTEMS
from app.specialties.base import SummaryContext
from app.specialties.outcomes import CriterionOutcome
from schemas.api.summary import (
    ConditionEntry,
    CriterionResult,
    CriterionStatus,
    DoseChange,
    MedicationPublic,
    ResultValue,
    SummaryPatient,
    SummarySource,
)
from schemas.clinical import ClinicalRecord, Condition, Measurement, Medication, Patient, SourceStatus


def age_on(birth_date: date, on: date) -> int:
    """Completed years of age on a date."""
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def result_value(measurement: Measurement) -> ResultValue:
    return ResultValue(
        date=measurement.taken_at.date(),
        value=measurement.value,
        unit=measurement.unit,
        comparator=measurement.comparator,
    )


def summary_source(source: SourceStatus) -> SummarySource:
    return SummarySource(
        practice_ods=source.practice_ods, adapter=source.adapter, status=source.status, detail=source.detail
    )


def summary_patient(patient: Patient, today: date) -> SummaryPatient:
    birth_date = patient.birth_date
    return SummaryPatient(
        nhs_number=patient.nhs_number,
        name=patient.name,
        birth_date=birth_date,
        age=None if birth_date is None else age_on(birth_date, today),
        sex=patient.sex,
    )


def condition_entry(condition: Condition) -> ConditionEntry:
    """A problem as the page lists it, named by its SNOMED coding where it has one."""
    codings = condition.codings
    coding = next((c for c in codings if c.system in SNOMED_SYSTEMS), codings[0] if codings else None)
    return ConditionEntry(
        code=None if coding is None else coding.code,
        system=None if coding is None else coding.system,
        display=condition.display or (None if coding is None else coding.display),
        onset=condition.onset,
        clinical_status=condition.clinical_status,
    )


def medication_public(medication: Medication, classes: Iterable[str]) -> MedicationPublic:
    """A medicine with the classes the specialty found in it; its start is the date the record gives."""
    return MedicationPublic(
        name=medication.name,
        classes=list(classes),
        status=medication.status,
        start_date=medication.authored_on,
    )


def course_public(course: MedicineCourse, classes: Iterable[str]) -> MedicationPublic:
    """A course of a medicine as its latest request names it, from its start, with its changes of dose."""
    latest = course.latest
    return MedicationPublic(
        name=latest.name,
        classes=list(classes),
        status=latest.status,
        start_date=course.start_date,
        dose_changes=[
            DoseChange(date=step.on, dosage=step.dose, previous_dosage=step.previous)
            for step in course.dose_changes
        ],
    )


def medicines_public(
    medications: Sequence[Medication], classes_of: Callable[[Medication], Iterable[str]]
) -> list[MedicationPublic]:
    """The record's medicines, one per course (see ``app.records.medicine_courses``), each with the classes
    ``classes_of`` finds in its latest request."""
    return [course_public(course, classes_of(course.latest)) for course in medicine_courses(medications)]


def latest_results(record: ClinicalRecord, analytes: Iterable[str]) -> dict[str, ResultValue | None]:
    """The latest result of each analyte, None where the record has none."""
    return {analyte: _latest(record.series(analyte)) for analyte in analytes}


def result_series(record: ClinicalRecord, analytes: Iterable[str]) -> dict[str, list[ResultValue]]:
    """Every result of each analyte, oldest first."""
    return {analyte: [result_value(m) for m in record.series(analyte)] for analyte in analytes}


def criterion_result(outcome: CriterionOutcome) -> CriterionResult:
    """A rule's outcome as the summary reports it."""
    return CriterionResult(
        code=outcome.code,
        title=outcome.title,
        status=CriterionStatus(outcome.status),
        evidence=outcome.evidence,
        urgency=outcome.urgency,
    )


def latest_day(record: ClinicalRecord, *analytes: str) -> date | None:
    """The day of the latest result of any of ``analytes`` (a panel's parts), None when there is none."""
    return max((m.taken_at.date() for a in analytes for m in record.series(a)), default=None)


def envelope(
    record: ClinicalRecord,
    context: SummaryContext,
    *,
    analytes: Sequence[str],
    criteria: Sequence[CriterionResult],
    medications: Sequence[MedicationPublic],
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The envelope's fields for ``record``: the analytes' latest results and series, the record's sources,
    patient and conditions, and its warnings followed by the specialty's own."""
    return {
        "generated_at": context.generated_at,
        "complete": record.complete,
        "sources": [summary_source(source) for source in record.sources],
        "patient": summary_patient(record.patient, context.today),
        "referral_criteria": list(criteria),
        "latest": latest_results(record, analytes),
        "series": result_series(record, analytes),
        "medications": list(medications),
        "conditions": [condition_entry(condition) for condition in record.conditions],
        "warnings": [*record.warnings, *warnings],
    }


def _latest(series: Sequence[Measurement]) -> ResultValue | None:
    return result_value(series[-1]) if series else None
