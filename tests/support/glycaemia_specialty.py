"""A second specialty, for tests only: glycaemia reads HbA1c, so a patient can be in two specialties' care."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from app.records.analytes import AnalyteDefinition
from app.records.needs import RecordNeeds, ResultNeed
from app.specialties.analytes import HBA1C
from app.specialties.base import (
    CaseFinding,
    CaseFindingRule,
    CriterionDefinition,
    FollowUpActionDefinition,
    SummaryContext,
    ThresholdBand,
)
from app.specialties.case_finding import criteria_rules, met_referral_criteria
from app.specialties.envelope import envelope
from schemas.api.summary import CriterionResult, CriterionStatus, Highlight, SpecialtySummary
from schemas.clinical import ClinicalRecord

CODE = "test-glycaemia"
NEEDS = RecordNeeds(results=(ResultNeed(HBA1C.code),), medication_years=1)
ABOVE_58 = CriterionDefinition("hba1c-58-or-more", "HbA1c 58 mmol/mol or more", "test only")


class GlycaemiaSummary(SpecialtySummary):
    specialty: Literal["test-glycaemia"] = "test-glycaemia"
    hba1c_results: int


def _criterion(record: ClinicalRecord) -> CriterionResult:
    series = record.series(HBA1C.code)
    if not series:
        status, evidence = CriterionStatus.INSUFFICIENT_DATA, "no HbA1c on record"
    else:
        latest = series[-1].value
        status = CriterionStatus.MET if latest >= 58 else CriterionStatus.NOT_MET
        evidence = f"latest HbA1c {latest:g} mmol/mol"
    return CriterionResult(code=ABOVE_58.code, title=ABOVE_58.title, status=status, evidence=evidence)


@dataclass(frozen=True)
class Glycaemia:
    code: str = CODE
    title: str = "Glycaemia (test)"
    description: str = "A specialty that exists only in tests"
    analytes: tuple[AnalyteDefinition, ...] = (HBA1C,)
    needs: RecordNeeds = NEEDS
    referral_criteria: tuple[CriterionDefinition, ...] = (ABOVE_58,)
    case_finding_rules: tuple[CaseFindingRule, ...] = criteria_rules((ABOVE_58,))
    advice_outcomes: tuple[str, ...] = ("return-with-advice",)
    follow_up_actions: tuple[FollowUpActionDefinition, ...] = (
        FollowUpActionDefinition("repeat-hba1c-3-months", "Repeat HbA1c in 3 months", 90),
    )
    summary_model: type[GlycaemiaSummary] = GlycaemiaSummary
    settings_model: type[BaseModel] | None = None
    thresholds: Mapping[str, tuple[ThresholdBand, ...]] = field(
        default_factory=lambda: {HBA1C.code: (ThresholdBand(58.0, None, "58 or more", "attention"),)}
    )

    def build_summary(self, record: ClinicalRecord, context: SummaryContext) -> GlycaemiaSummary:
        fields = envelope(
            record, context, analytes=(HBA1C.code,), criteria=[_criterion(record)], medications=[]
        )
        return GlycaemiaSummary(**fields, hba1c_results=len(record.series(HBA1C.code)))

    def case_findings(
        self, summary: SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        return met_referral_criteria(summary)

    def highlights(self, summary: SpecialtySummary) -> tuple[Highlight, ...]:
        latest = summary.latest.get(HBA1C.code)
        return (Highlight(label="HbA1c", value=None if latest is None else latest.value, unit="mmol/mol"),)

    def letter_series(self, summary: SpecialtySummary) -> str | None:
        return HBA1C.code


GLYCAEMIA = Glycaemia()
