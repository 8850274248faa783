"""Clinic rows as the API shows them. Times go out as UTC with their offset on every engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from app.clinics.models import Clinic, ClinicEntry
from app.clinics.worklist import WorklistRow
from schemas.api.clinics import (
    ClinicConsultant,
    ClinicDetailPublic,
    ClinicEntryPublic,
    ClinicPublic,
    ClinicStatus,
    EntryStatus,
    SummaryAvailability,
    WorklistEntryPublic,
    WorklistPublic,
    WorklistSummaryPublic,
)


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands datetimes back naive; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def clinic_public(clinic: Clinic) -> ClinicPublic:
    return ClinicPublic(
        id=clinic.id,
        specialty=clinic.specialty,
        date=clinic.clinic_date,
        consultant=ClinicConsultant(sub=clinic.consultant_sub, name=clinic.consultant_name),
        status=ClinicStatus(clinic.status),
        created_by=clinic.created_by,
        created_at=_as_utc(clinic.created_at),
    )


def entry_public(entry: ClinicEntry) -> ClinicEntryPublic:
    return ClinicEntryPublic(
        id=entry.id,
        position=entry.position,
        nhs_number=entry.nhs_number,
        practice_ods=entry.practice_ods,
        advice_request_id=entry.advice_request_id,
        reason=entry.reason,
        status=EntryStatus(entry.status),
        added_by=entry.added_by,
        added_at=_as_utc(entry.added_at),
    )


def clinic_detail_public(clinic: Clinic, entries: Sequence[ClinicEntry]) -> ClinicDetailPublic:
    return ClinicDetailPublic(
        **clinic_public(clinic).model_dump(), entries=[entry_public(entry) for entry in entries]
    )


def _age(birth_date: date | None, on: date) -> int | None:
    if birth_date is None:
        return None
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _summary_public(row: WorklistRow) -> WorklistSummaryPublic:
    practice_ods = row.entry.practice_ods
    if row.highlighted is None:
        return WorklistSummaryPublic(
            status=SummaryAvailability.UNAVAILABLE,
            practice_ods=practice_ods,
            generated_at=None,
            highlights=None,
            problem=row.problem,
        )
    return WorklistSummaryPublic(
        status=SummaryAvailability.AVAILABLE,
        practice_ods=practice_ods,
        generated_at=row.highlighted.generated_at,
        patient_name=row.highlighted.patient_name,
        patient_age=_age(row.highlighted.patient_birth_date, row.highlighted.generated_at.date()),
        patient_sex=row.highlighted.patient_sex,
        complete=row.highlighted.complete,
        highlights=list(row.highlighted.highlights),
        criteria_met=list(row.highlighted.criteria_met),
        problem=None,
    )


def worklist_public(
    clinic: Clinic, rows: Sequence[WorklistRow], *, overdue: Mapping[str, int] | None = None
) -> WorklistPublic:
    """``overdue``: each patient's count of overdue follow-up actions, by NHS number."""
    overdue = overdue or {}
    return WorklistPublic(
        clinic=clinic_public(clinic),
        entries=[
            WorklistEntryPublic(
                **entry_public(row.entry).model_dump(),
                summary=_summary_public(row),
                overdue_actions=overdue.get(row.entry.nhs_number, 0),
            )
            for row in rows
        ],
    )
