"""The envelope every specialty's summary shares (``GET /v1/patients/{nhs}/summaries/{specialty}``).

DESIGN.md ("Every specialty's summary"): ``specialty``, ``generated_at``, ``complete``, ``sources``,
``patient``, ``referral_criteria``, ``latest``, ``series``, ``medications``, ``conditions`` and
``warnings``. A specialty subclasses ``SpecialtySummary``, narrows ``specialty`` to its own ``Literal`` and
adds its fields; the generic panels, the worklist and the letter read only the envelope. Values are in the
analyte's canonical unit and keep full precision: rounding is the page's job.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from schemas.clinical import Sex


class CriterionStatus(StrEnum):
    MET = "met"
    NOT_MET = "not-met"
    INSUFFICIENT_DATA = "insufficient-data"


class SummarySource(BaseModel):
    practice_ods: str
    adapter: str
    status: str
    detail: str | None


class SummaryPatient(BaseModel):
    nhs_number: str
    name: str | None
    birth_date: dt.date | None
    age: int | None
    sex: Sex


class ResultValue(BaseModel):
    """One result of an analyte in its canonical unit; ``comparator`` as reported (``>90``), else None."""

    date: dt.date
    value: float
    unit: str
    comparator: str | None = None


class CriterionResult(BaseModel):
    """A referral criterion applied to the record, with the evidence a consultant can check."""

    code: str
    title: str
    status: CriterionStatus
    evidence: str
    urgency: str | None = Field(
        default=None, description="How soon the pathway asks for the patient to be seen when met, if it says"
    )


class DoseChange(BaseModel):
    """The dose changed on ``date`` from ``previous_dosage`` to ``dosage`` (strength and dosage text)."""

    date: dt.date
    dosage: str | None
    previous_dosage: str | None = None


class MedicationPublic(BaseModel):
    """A medicine on the record, with the classes the specialty recognises in it."""

    name: str
    classes: list[str]
    status: str
    start_date: dt.date | None = Field(default=None, description="When the continuous course began")
    dose_changes: list[DoseChange] = Field(default_factory=list)


class ConditionEntry(BaseModel):
    code: str | None
    system: str | None
    display: str | None
    onset: dt.date | None = None
    clinical_status: str | None = None


HighlightFlag = Literal["normal", "attention", "urgent"]


class Highlight(BaseModel):
    """One figure a worklist row shows: a specialty declares the list, the page shows whatever it is given."""

    label: str
    value: str | float | None
    unit: str | None = None
    flag: HighlightFlag | None = None


class SpecialtySummary(BaseModel):
    """What every specialty's summary carries; ``specialty`` tells a client which fields follow."""

    specialty: str
    generated_at: dt.datetime
    complete: bool
    sources: list[SummarySource]
    patient: SummaryPatient
    referral_criteria: list[CriterionResult]
    latest: dict[str, ResultValue | None] = Field(
        description="The latest result of each analyte the summary reads, keyed by analyte; null when none"
    )
    series: dict[str, list[ResultValue]] = Field(
        description="Every result of each charted analyte, oldest first, keyed by analyte"
    )
    medications: list[MedicationPublic]
    conditions: list[ConditionEntry]
    warnings: list[str]

    def criteria_met(self) -> list[str]:
        """Codes of the referral criteria the patient meets, in the specialty's order."""
        return [c.code for c in self.referral_criteria if c.status is CriterionStatus.MET]
