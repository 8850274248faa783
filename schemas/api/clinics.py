"""API models of virtual clinic sessions: the clinic, the patients on its list, and its worklist.

The status vocabularies live here so that the database, the services and the API spell them one way.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from schemas.api.summary import Highlight
from schemas.clinical import Sex
from schemas.nhs_number import NhsNumber
from schemas.text import NOT_BLANK, Code, NoteText, ShortText


class ClinicStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class EntryStatus(StrEnum):
    """Where a patient on a clinic's list stands. ``removed`` entries leave the list but stay on record."""

    WAITING = "waiting"
    IN_PROGRESS = "in-progress"
    ADVISED = "advised"
    UNAVAILABLE = "unavailable"
    REMOVED = "removed"


class SummaryAvailability(StrEnum):
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"


FilledShortText = Annotated[ShortText, NOT_BLANK]
FilledNoteText = Annotated[NoteText, NOT_BLANK]


class ClinicConsultant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sub: FilledShortText = Field(description="The consultant's identity (the token's sub)")
    name: FilledShortText = Field(description="The name the clinic list shows")


class ClinicCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    specialty: Code = Field(min_length=1, description="A specialty code from /v1/specialties")
    date: dt.date = Field(description="The day the clinic runs")
    consultant: ClinicConsultant


class ClinicPublic(BaseModel):
    id: str
    specialty: str
    date: dt.date
    consultant: ClinicConsultant
    status: ClinicStatus
    created_by: str
    created_at: dt.datetime


class ClinicEntryFromAdviceRequest(BaseModel):
    """Puts the patient of an open advice request of the clinic's specialty on the list."""

    model_config = ConfigDict(extra="forbid")

    advice_request_id: Code = Field(min_length=1)


REASON_MIN_WORDS = 3
REASON_MIN_CHARACTERS = 15


def _stated_reason(value: str) -> str:
    # Adding a patient by NHS number opens their record on the consultant's own word; "review" or "x" says
    # nothing the practice, reading its audit trail, could check.
    if len(value.split()) < REASON_MIN_WORDS or len(value.strip()) < REASON_MIN_CHARACTERS:
        raise ValueError(
            f"a reason for adding a patient by NHS number needs at least {REASON_MIN_WORDS} words and "
            f"{REASON_MIN_CHARACTERS} characters"
        )
    return value


class ClinicEntryForPatient(BaseModel):
    """Puts a patient on the list by NHS number: a consultant-initiated access, flagged in the audit trail.

    The directory names their registered practice, whose audit trail shows the access and its reason.
    """

    model_config = ConfigDict(extra="forbid")

    nhs_number: NhsNumber
    reason: Annotated[FilledNoteText, AfterValidator(_stated_reason)] = Field(
        description=f"Why the patient is on this clinic's list: at least {REASON_MIN_WORDS} words and "
        f"{REASON_MIN_CHARACTERS} characters, shown to the patient's practice in its audit trail",
    )


ClinicEntryCreate = ClinicEntryFromAdviceRequest | ClinicEntryForPatient


class ClinicEntryPublic(BaseModel):
    id: str
    position: int = Field(description="The patient's place on the list, from 1")
    nhs_number: str
    practice_ods: str
    advice_request_id: str | None
    reason: str | None
    status: EntryStatus
    added_by: str
    added_at: dt.datetime


class ClinicDetailPublic(ClinicPublic):
    entries: list[ClinicEntryPublic] = Field(description="Every entry in list order, removed ones included")


class WorklistSummaryPublic(BaseModel):
    status: SummaryAvailability
    practice_ods: str = Field(description="The practice whose record the summary is built from")
    generated_at: dt.datetime | None = Field(description="When the highlights were read from the record")
    patient_name: str | None = Field(
        default=None, description="The patient's name as their practice records it, when the record was read"
    )
    patient_age: int | None = Field(default=None, description="Whole years on the day the record was read")
    patient_sex: Sex | None = Field(default=None, description="As the patient's practice records it")
    complete: bool | None = Field(
        default=None, description="False when part of the record could not be read; null without a summary"
    )
    highlights: list[Highlight] | None = Field(
        description="The figures the specialty declares for a worklist row, in column order"
    )
    criteria_met: list[str] | None = Field(
        default=None, description="Codes of the referral criteria the patient meets"
    )
    problem: str | None = Field(description="Why the summary could not be built, naming the failing practice")


class WorklistEntryPublic(ClinicEntryPublic):
    summary: WorklistSummaryPublic
    overdue_actions: int = Field(
        default=0, description="The patient's open follow-up actions in this specialty past their due date"
    )


class WorklistPublic(BaseModel):
    clinic: ClinicPublic
    entries: list[WorklistEntryPublic] = Field(description="The entries still on the list, in list order")
