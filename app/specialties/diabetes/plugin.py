"""Diabetes as a specialty plug-in: HbA1c against an individual target, and undiagnosed diabetes or NDH."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pydantic import BaseModel

from app.records.analytes import AnalyteDefinition
from app.records.needs import MEDICINE_HISTORY_YEARS, RecordNeeds, ResultNeed
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
from app.specialties.diabetes.analytes import DIABETES_ANALYTES, FASTING_GLUCOSE
from app.specialties.diabetes.case_finding import HBA1C_WITHOUT_DIABETES_CODED, hba1c_without_diabetes_coded
from app.specialties.diabetes.definitions import ADVICE_OUTCOMES, DIABETES_ACTIONS, DIABETES_CRITERIA
from app.specialties.diabetes.record_facts import diabetes_facts
from app.specialties.diabetes.summary import DiabetesSummary, build_diabetes_summary
from schemas.api.summary import Highlight, HighlightFlag, SpecialtySummary
from schemas.clinical import ClinicalRecord

# The criteria's own boundaries, as whole mmol/mol: "above 75" starts at 76.
HBA1C_BANDS = (
    ThresholdBand(None, 42.0, "below 42", "normal"),
    ThresholdBand(42.0, 48.0, "NDH 42-47", "attention"),
    ThresholdBand(48.0, 58.0, "48-57", "attention"),
    ThresholdBand(58.0, 76.0, "58-75: intensify", "attention"),
    ThresholdBand(76.0, 91.0, "above 75", "urgent"),
    ThresholdBand(91.0, None, "above 90", "urgent"),
)
FASTING_GLUCOSE_BANDS = (
    ThresholdBand(None, 5.5, "below 5.5", "normal"),
    ThresholdBand(5.5, 7.0, "NDH 5.5-6.9", "attention"),
    ThresholdBand(7.0, None, "diabetes range", "urgent"),
)
# Whole histories: the chart shows the HbA1c history; the rules read the 12 months up to today.
DIABETES_NEEDS = RecordNeeds(
    results=tuple(ResultNeed(analyte.code) for analyte in DIABETES_ANALYTES),
    medication_years=MEDICINE_HISTORY_YEARS,
    conditions=True,
)
_OUTCOME_FLAGS: dict[str, HighlightFlag] = {
    "refer-urgent": "urgent",
    "intensify": "urgent",
    "above-target": "attention",
    "possible-new-diabetes": "attention",
    "ndh": "attention",
    "at-target": "normal",
}


@dataclass(frozen=True)
class Diabetes:
    code: str = "diabetes"
    title: str = "Diabetes"
    description: str = (
        "Diabetes virtual clinic: HbA1c against the NICE NG28 individual target, rising HbA1c, "
        "hypoglycaemia risk, and undiagnosed diabetes or non-diabetic hyperglycaemia"
    )
    analytes: tuple[AnalyteDefinition, ...] = DIABETES_ANALYTES
    needs: RecordNeeds = DIABETES_NEEDS
    referral_criteria: tuple[CriterionDefinition, ...] = DIABETES_CRITERIA
    case_finding_rules: tuple[CaseFindingRule, ...] = (
        *criteria_rules(DIABETES_CRITERIA),
        HBA1C_WITHOUT_DIABETES_CODED,
    )
    advice_outcomes: tuple[str, ...] = ADVICE_OUTCOMES
    follow_up_actions: tuple[FollowUpActionDefinition, ...] = DIABETES_ACTIONS
    summary_model: type[DiabetesSummary] = DiabetesSummary
    settings_model: type[BaseModel] | None = None
    thresholds: Mapping[str, tuple[ThresholdBand, ...]] = field(
        default_factory=lambda: MappingProxyType(
            {HBA1C.code: HBA1C_BANDS, FASTING_GLUCOSE.code: FASTING_GLUCOSE_BANDS}
        )
    )

    def build_summary(self, record: ClinicalRecord, context: SummaryContext) -> DiabetesSummary:
        return build_diabetes_summary(record, today=context.today, generated_at=context.generated_at)

    def case_findings(
        self, summary: SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        assert isinstance(summary, DiabetesSummary)
        # The facts build_summary read, on the same day, so the search cannot disagree with the summary.
        found = hba1c_without_diabetes_coded(diabetes_facts(record, today=context.today))
        return met_referral_criteria(summary) + ((found,) if found else ())

    def highlights(self, summary: SpecialtySummary) -> tuple[Highlight, ...]:
        assert isinstance(summary, DiabetesSummary)
        latest = summary.latest.get(HBA1C.code)
        flag = None
        if latest is not None:
            flag = next(
                band.flag
                for band in HBA1C_BANDS
                if (band.low is None or latest.value >= band.low)
                and (band.high is None or latest.value < band.high)
            )
        return (
            Highlight(
                label="HbA1c",
                value=None if latest is None else f"{latest.comparator or ''}{latest.value:g}",
                unit=HBA1C.canonical_unit,
                flag=flag,
            ),
            Highlight(label="Target", value=summary.hba1c_target, unit=HBA1C.canonical_unit),
            Highlight(
                label="Reading",
                value=summary.glycaemic_outcome,
                flag=_OUTCOME_FLAGS.get(summary.glycaemic_outcome),
            ),
        )

    def letter_series(self, summary: SpecialtySummary) -> str | None:
        return HBA1C.code


DIABETES = Diabetes()
