"""What a specialty plug-in declares. Adding a specialty is a new folder that provides one of these.

A specialty states the analytes it reads (as data), what it needs from the GP record (which analytes, how far
back), how it turns a normalised record into its summary (the shared envelope plus its own fields), the
figures a clinic worklist shows, its referral criteria, its case-finding rules, its chart bands, its own
settings, and the advice outcomes and follow-up actions a consultant may choose. It never reaches into
records, advice or clinics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel

from app.records.analytes import AnalyteDefinition
from app.records.needs import RecordNeeds
from schemas.api.summary import Highlight, HighlightFlag, SpecialtySummary
from schemas.clinical import ClinicalRecord


@dataclass(frozen=True, slots=True)
class CriterionDefinition:
    code: str
    title: str
    source: str


@dataclass(frozen=True, slots=True)
class CaseFindingRule:
    """A search a specialty runs over a practice's population; a coding gap is one the practice can fix."""

    code: str
    title: str
    source: str
    coding_gap: bool = False


@dataclass(frozen=True, slots=True)
class CaseFinding:
    """A rule a patient meets, with the evidence from their summary; a higher ``severity`` is worse, and a
    dismissed finding is raised again only when a later run finds it more severe."""

    code: str
    title: str
    evidence: str
    severity: int = 1
    coding_gap: bool = False


@dataclass(frozen=True, slots=True)
class FollowUpActionDefinition:
    """A structured action a consultant can ask the practice to take, with a default time to act.

    ``satisfied_by`` makes it a test the GP record shows done: each group is a set of analyte codes (from the
    specialty's ``analytes``) of which any one will do, and every group needs a result dated after the advice
    ("repeat U&E and ACR": creatinine or eGFR, and ACR). Empty for an action no result can show done.
    """

    code: str
    title: str
    default_due_days: int | None = None
    satisfied_by: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True, slots=True)
class ThresholdBand:
    """A band a chart shades for an analyte, in its canonical unit: ``low`` inclusive, ``high`` exclusive."""

    low: float | None
    high: float | None
    label: str
    flag: HighlightFlag


@dataclass(frozen=True, slots=True)
class SummaryContext:
    """What a summary is built against: the day, the moment, and the specialty's own settings (an instance
    of its ``settings_model``; None when it declares none)."""

    today: date
    generated_at: datetime
    settings: BaseModel | None = None


class Specialty(Protocol):
    """Read-only: a plug-in is an immutable declaration plus pure functions of the record and the summary."""

    @property
    def code(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def analytes(self) -> tuple[AnalyteDefinition, ...]:
        """Every analyte the specialty reads; shared ones come from ``app.specialties.analytes``."""
        ...

    @property
    def needs(self) -> RecordNeeds: ...

    @property
    def referral_criteria(self) -> tuple[CriterionDefinition, ...]: ...

    @property
    def advice_outcomes(self) -> tuple[str, ...]: ...

    @property
    def follow_up_actions(self) -> tuple[FollowUpActionDefinition, ...]: ...

    @property
    def summary_model(self) -> type[SpecialtySummary]: ...

    @property
    def settings_model(self) -> type[BaseModel] | None:
        """The specialty's own configuration, or None when it has none."""
        ...

    @property
    def thresholds(self) -> Mapping[str, tuple[ThresholdBand, ...]]:
        """Analyte code → the bands its chart panel shades."""
        ...

    @property
    def case_finding_rules(self) -> tuple[CaseFindingRule, ...]:
        """Every rule ``case_findings`` can report, its met referral criteria included."""
        ...

    def build_summary(self, record: ClinicalRecord, context: SummaryContext) -> SpecialtySummary: ...

    def case_findings(
        self, summary: SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        """The rules the patient meets, read from the summary ``build_summary`` made of the same record."""
        ...

    def highlights(self, summary: SpecialtySummary) -> tuple[Highlight, ...]:
        """The figures a worklist row shows, in column order; the same labels for every patient."""
        ...

    def letter_series(self, summary: SpecialtySummary) -> str | None:
        """The analyte whose ``summary.series`` the advice letter charts, or None for no chart."""
        ...
