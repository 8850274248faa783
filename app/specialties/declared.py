"""The declarative half of a ``Specialty``, read from its folder, so that a plug-in codes only its rules.

A plug-in subclasses ``DeclaredSpecialty`` with ``build_summary`` (``envelope`` fills the shared fields),
``highlights`` and, when it runs searches of its own, ``searches``; ``from_folder`` makes its one object:
``HEART_FAILURE = HeartFailure.from_folder(FOLDER, HeartFailureSummary, HAEMOGLOBIN, CREATININE)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Self

from pydantic import BaseModel

from app.records.analytes import AnalyteDefinition
from app.records.needs import MEDICINE_HISTORY_YEARS, RecordNeeds, ResultNeed
from app.specialties.base import (
    CaseFinding,
    CaseFindingRule,
    CriterionDefinition,
    FollowUpActionDefinition,
    SummaryContext,
    ThresholdBand,
)
from app.specialties.case_finding import met_referral_criteria
from app.specialties.envelope import criterion_result, envelope, medicines_public
from app.specialties.folder import SpecialtyFolder
from app.specialties.outcomes import CriterionOutcome
from schemas.api.summary import SpecialtySummary
from schemas.clinical import ClinicalRecord


@dataclass(frozen=True)
class DeclaredSpecialty:
    """``letter_analyte`` is ``rules.json``'s ``letter_series``: the analyte the advice letter charts."""

    folder: SpecialtyFolder
    code: str
    title: str
    description: str
    analytes: tuple[AnalyteDefinition, ...]
    needs: RecordNeeds
    referral_criteria: tuple[CriterionDefinition, ...]
    case_finding_rules: tuple[CaseFindingRule, ...]
    advice_outcomes: tuple[str, ...]
    follow_up_actions: tuple[FollowUpActionDefinition, ...]
    summary_model: type[SpecialtySummary]
    thresholds: Mapping[str, tuple[ThresholdBand, ...]]
    settings_model: type[BaseModel] | None = None
    letter_analyte: str | None = None

    @classmethod
    def from_folder(
        cls, folder: SpecialtyFolder, summary_model: type[SpecialtySummary], *shared: AnalyteDefinition
    ) -> Self:
        """The folder's declaration; ``shared`` are the analytes from ``app.specialties.analytes`` it reads.

        Every analyte's whole history is read, and ``MEDICINE_HISTORY_YEARS`` of medicines.
        """
        rules, analytes = folder.rules, folder.analytes(*shared)
        return cls(
            folder=folder,
            code=rules["code"],
            title=rules["title"],
            description=rules["description"],
            analytes=analytes,
            needs=RecordNeeds(tuple(ResultNeed(a.code) for a in analytes), MEDICINE_HISTORY_YEARS),
            referral_criteria=folder.criteria(),
            case_finding_rules=folder.case_finding_rules(),
            advice_outcomes=tuple(rules["advice_outcomes"]),
            follow_up_actions=folder.follow_up_actions(),
            summary_model=summary_model,
            thresholds=MappingProxyType(dict(folder.thresholds())),
            letter_analyte=rules.get("letter_series"),
        )

    def envelope(
        self,
        record: ClinicalRecord,
        context: SummaryContext,
        criteria: Sequence[CriterionOutcome],
        warnings: Sequence[str] = (),
    ) -> dict[str, Any]:
        """The shared summary fields: every analyte's results, the criteria, and each medicine with the
        classes its value sets find in it."""
        medicines = medicines_public(
            record.medications, lambda m: sorted(self.folder.medicine_classes_of(m.codings, m.name))
        )
        codes = [a.code for a in self.analytes]
        found = [criterion_result(c) for c in criteria]
        return envelope(
            record, context, analytes=codes, criteria=found, medications=medicines, warnings=warnings
        )

    def case_findings(
        self, summary: SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        """Every met referral criterion, with the summary's evidence, then the specialty's own searches."""
        return met_referral_criteria(summary) + self.searches(summary, record, context)

    def searches(
        self, summary: SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        """The specialty's own case-finding searches the patient meets; none unless it declares some."""
        return ()

    def letter_series(self, summary: SpecialtySummary) -> str | None:
        return self.letter_analyte
