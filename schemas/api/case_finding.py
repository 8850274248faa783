"""API models of case-finding: runs over a practice's population, the findings they raise, and what is done
with each finding (added to a clinic, or dismissed with a reason)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.text import Code, NoteText

RunStatusName = Literal["queued", "running", "done", "failed", "cancelled"]


class FindingStatusName(StrEnum):
    NEW = "new"
    ADDED_TO_CLINIC = "added-to-clinic"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    practice_ods: str = Field(pattern=r"^[A-Z0-9]{3,10}$", description="The practice's ODS code")
    specialty: Code = Field(description="A specialty code from /v1/specialties")
    full: bool = Field(
        default=False,
        description="Read the whole population, not only what changed since the last run (see the docs)",
    )


class RunAccepted(BaseModel):
    id: str
    status: RunStatusName


class RunPublic(BaseModel):
    id: str
    practice_ods: str
    specialty: str
    status: RunStatusName
    patients_scanned: int = Field(description="Every patient in the practice's export read so far")
    findings_count: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None = Field(description="Why the run failed, when it did")
    full: bool = Field(default=False, description="Whether the run was asked to read the whole population")
    since: dt.datetime | None = Field(
        default=None,
        description="The run read only the changes since this time (`_since`); null: the whole population",
    )
    transaction_time: dt.datetime | None = Field(
        default=None, description="The export's transactionTime: the next incremental run reads from it"
    )


class FindingRule(BaseModel):
    code: str
    title: str
    evidence: str = Field(description="The evidence from the patient's summary, as the summary states it")
    coding_gap: bool = Field(description="A gap in the practice's coding, which the practice can fix itself")


class FindingPublic(BaseModel):
    id: str
    nhs_number: str
    name: str | None
    status: FindingStatusName
    rules: list[FindingRule]


class FindingsPage(BaseModel):
    items: list[FindingPublic]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null on the last")


class FindingDismissal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: NoteText = Field(description="Why the finding needs no action")


class FindingToClinic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clinic_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


class SpecialtyRegister(BaseModel):
    """The latest run of one specialty at the practice and its open findings, coding gaps first."""

    specialty: str
    latest_run: RunPublic
    findings: list[FindingPublic]


class PracticeCaseFindings(BaseModel):
    practice_ods: str
    specialties: list[SpecialtyRegister]
