"""What a specialty plug-in declares. Adding a specialty is a new folder that provides one of these.

A specialty states what it needs from the GP record (analytes and how far back), how it turns a normalised
record into its summary, the headline figures a clinic worklist shows, its referral criteria, and the advice
outcomes and follow-up actions a consultant may choose. It never reaches into records, advice or clinics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel

from schemas.advice import ChartPoint
from schemas.clinical import Analyte, ClinicalRecord


@dataclass(frozen=True, slots=True)
class ResultNeed:
    """An analyte and how many years of its results the summary uses, counted back from today.

    None asks for the whole history, up to the service's cap (``VCLINIC_RECORD_HISTORY_YEARS``): a rule
    anchored to the latest result must see results however long ago that was.
    """

    analyte: Analyte
    years: int | None = None


@dataclass(frozen=True, slots=True)
class RecordNeeds:
    results: tuple[ResultNeed, ...]
    medication_years: int = 2
    conditions: bool = True


@dataclass(frozen=True, slots=True)
class CriterionDefinition:
    code: str
    title: str
    source: str


@dataclass(frozen=True, slots=True)
class FollowUpActionDefinition:
    """A structured action a consultant can ask the practice to take, with a default time to act."""

    code: str
    title: str
    default_due_days: int | None = None


@dataclass(frozen=True, slots=True)
class SummaryContext:
    today: date
    generated_at: datetime
    egfr_equation: str


@dataclass(frozen=True, slots=True)
class SummaryHighlights:
    """What a worklist row shows of a summary. Specialties fill what they have."""

    headline: str | None = None
    # False when part of the record could not be read: such highlights are shown but never reused.
    complete: bool = True
    latest_egfr: float | None = None
    egfr_slope_per_year: float | None = None
    g_category: str | None = None
    a_category: str | None = None
    kfre_five_year_percent: float | None = None
    criteria_met: tuple[str, ...] = ()


class Specialty(Protocol):
    """Read-only: a plug-in is an immutable declaration plus two pure functions."""

    @property
    def code(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def needs(self) -> RecordNeeds: ...

    @property
    def referral_criteria(self) -> tuple[CriterionDefinition, ...]: ...

    @property
    def advice_outcomes(self) -> tuple[str, ...]: ...

    @property
    def follow_up_actions(self) -> tuple[FollowUpActionDefinition, ...]: ...

    @property
    def summary_model(self) -> type[BaseModel]: ...

    def build_summary(self, record: ClinicalRecord, context: SummaryContext) -> BaseModel: ...

    def highlights(self, summary: BaseModel) -> SummaryHighlights: ...

    def letter_chart(self, summary: BaseModel) -> list[ChartPoint]:
        """The series the advice letter charts (eGFR for nephrology); empty where there is none."""
        ...
