"""Virtual clinic sessions and the patients on their lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from schemas.api.clinics import ClinicStatus, EntryStatus

# One active entry per patient per clinic; a removed entry no longer counts, so the patient can be put back.
ACTIVE_PATIENT_WHERE = text("status <> 'removed'")


def _new_id() -> str:
    return uuid.uuid4().hex


def _values(kind: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in kind)


def _timestamp() -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=False))


class Clinic(SQLModel, table=True):
    """One consultant's virtual clinic session on one day, for one specialty."""

    __tablename__ = "clinics"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(ClinicStatus)})", name="ck_clinics_status"),
        # The list reads the latest day first, newest first within a day: read backwards, with no sort.
        Index("ix_clinics_specialty_date_created", "specialty", "clinic_date", "created_at"),
        Index("ix_clinics_date_created", "clinic_date", "created_at"),
    )

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    specialty: str = Field(max_length=64)
    clinic_date: date
    consultant_sub: str = Field(max_length=200)
    consultant_name: str = Field(max_length=200)
    status: str = Field(max_length=16)
    created_by: str = Field(max_length=200)
    created_at: datetime = _timestamp()


class ClinicEntry(SQLModel, table=True):
    """A patient on a clinic's list, from an advice request or put there by NHS number with a reason."""

    __tablename__ = "clinic_entries"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(EntryStatus)})", name="ck_clinic_entries_status"),
        UniqueConstraint("clinic_id", "position", name="uq_clinic_entries_clinic_position"),
        Index(
            "uq_clinic_entries_active_patient",
            "clinic_id",
            "nhs_number",
            unique=True,
            sqlite_where=ACTIVE_PATIENT_WHERE,
            postgresql_where=ACTIVE_PATIENT_WHERE,
        ),
    )

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    clinic_id: str = Field(foreign_key="clinics.id", max_length=32)
    position: int
    nhs_number: str = Field(max_length=10, index=True)
    practice_ods: str = Field(max_length=10)
    advice_request_id: str | None = Field(default=None, foreign_key="advice_requests.id", max_length=32)
    reason: str | None = Field(default=None, max_length=1000)
    status: str = Field(max_length=16)
    added_by: str = Field(max_length=200)
    added_at: datetime = _timestamp()
