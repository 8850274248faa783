"""Nephrology as a specialty plug-in: what the renal virtual clinic needs and offers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pydantic import BaseModel

from app.records.analytes import AnalyteDefinition
from app.records.needs import MEDICINE_HISTORY_YEARS, RecordNeeds, ResultNeed
from app.specialties.analytes import (
    ACR,
    BLOOD_PRESSURE,
    CREATININE,
    EGFR,
    HAEMOGLOBIN,
    HBA1C,
    POTASSIUM,
)
from app.specialties.base import (
    CaseFinding,
    CaseFindingRule,
    CriterionDefinition,
    FollowUpActionDefinition,
    SummaryContext,
    ThresholdBand,
)
from app.specialties.case_finding import criteria_rules, met_referral_criteria
from app.specialties.nephrology.case_finding import NEPHROLOGY_SEARCHES, nephrology_case_findings
from app.specialties.nephrology.criterion_definitions import NEPHROLOGY_CRITERIA
from app.specialties.nephrology.results import shown
from app.specialties.nephrology.settings import NephrologySettings
from app.specialties.nephrology.summary import build_nephrology_summary
from schemas.api.nephrology import KdigoRisk, NephrologySummary
from schemas.api.summary import Highlight, HighlightFlag, SpecialtySummary
from schemas.clinical import ClinicalRecord

NEPHROLOGY_ANALYTES: tuple[AnalyteDefinition, ...] = (
    EGFR,
    CREATININE,
    ACR,
    *BLOOD_PRESSURE,
    POTASSIUM,
    HAEMOGLOBIN,
    HBA1C,
)

# The whole history of every result the summary reads. Its rules are anchored to the latest result (the
# 3-year trend, the 12-month decline criteria, the AKI baseline, the KFRE's ACR) and the chart shows the
# kidney history, so a window counted back from today would hide a patient whose results stopped years ago.
NEPHROLOGY_NEEDS = RecordNeeds(
    results=tuple(ResultNeed(analyte.code) for analyte in NEPHROLOGY_ANALYTES),
    medication_years=MEDICINE_HISTORY_YEARS,
    conditions=True,
)

# KDIGO 2012 G categories (CLINICAL.md, "KDIGO categories"), as the eGFR chart shades them.
EGFR_BANDS = (
    ThresholdBand(None, 15.0, "G5", "urgent"),
    ThresholdBand(15.0, 30.0, "G4", "urgent"),
    ThresholdBand(30.0, 45.0, "G3b", "attention"),
    ThresholdBand(45.0, 60.0, "G3a", "attention"),
    ThresholdBand(60.0, 90.0, "G2", "normal"),
    ThresholdBand(90.0, None, "G1", "normal"),
)
# KDIGO A categories: A3 above 30 mg/mmol, A2 from 3.
ACR_BANDS = (
    ThresholdBand(None, 3.0, "A1", "normal"),
    ThresholdBand(3.0, 30.0, "A2", "attention"),
    ThresholdBand(30.0, None, "A3", "urgent"),
)
_RISK_FLAGS: dict[KdigoRisk, HighlightFlag] = {
    KdigoRisk.LOW: "normal",
    KdigoRisk.MODERATE: "normal",
    KdigoRisk.HIGH: "attention",
    KdigoRisk.VERY_HIGH: "urgent",
}
# NICE NG203 1.5.5: refer at a 5-year risk above 5%.
KFRE_REFERRAL_PERCENT = 5.0
# A U&E shows in the record as a creatinine (and the laboratory's eGFR from it): either shows it was taken.
KIDNEY_FUNCTION = frozenset({CREATININE.code, EGFR.code})
NEPHROLOGY_ACTIONS = (
    FollowUpActionDefinition(
        "repeat-ue-acr-3-months",
        "Repeat U&E and urine ACR in 3 months",
        90,
        satisfied_by=(KIDNEY_FUNCTION, frozenset({ACR.code})),
    ),
    FollowUpActionDefinition(
        "repeat-ue-2-weeks", "Repeat U&E in 2 weeks", 14, satisfied_by=(KIDNEY_FUNCTION,)
    ),
    FollowUpActionDefinition("start-sglt2-inhibitor", "Start an SGLT2 inhibitor", 30),
    FollowUpActionDefinition("optimise-acei-arb", "Start or titrate ACE inhibitor / ARB to maximum dose", 30),
    FollowUpActionDefinition("start-statin", "Start atorvastatin 20 mg", 30),
    FollowUpActionDefinition("stop-nsaid", "Stop NSAIDs", 7),
    FollowUpActionDefinition("review-metformin-dose", "Review metformin dose for eGFR", 14),
    FollowUpActionDefinition("sick-day-rules", "Give sick-day rules advice", 30),
    FollowUpActionDefinition("urine-dipstick-haematuria", "Urine dipstick for haematuria", 30),
    FollowUpActionDefinition("renal-ultrasound", "Request renal ultrasound", 42),
    FollowUpActionDefinition("bp-target-review", "Review blood pressure against target", 28),
    FollowUpActionDefinition("refer-renal-outpatients", "Refer to renal outpatients", 14),
)

ADVICE_OUTCOMES = ("return-with-advice", "further-information-required", "converted-to-referral")


@dataclass(frozen=True)
class Nephrology:
    code: str = "nephrology"
    title: str = "Nephrology"
    description: str = (
        "Renal virtual clinic: eGFR trend, albuminuria, kidney failure risk and NICE NG203 criteria"
    )
    analytes: tuple[AnalyteDefinition, ...] = NEPHROLOGY_ANALYTES
    needs: RecordNeeds = NEPHROLOGY_NEEDS
    referral_criteria: tuple[CriterionDefinition, ...] = NEPHROLOGY_CRITERIA
    case_finding_rules: tuple[CaseFindingRule, ...] = (
        *criteria_rules(NEPHROLOGY_CRITERIA),
        *(rule for rule, _ in NEPHROLOGY_SEARCHES),
    )
    advice_outcomes: tuple[str, ...] = ADVICE_OUTCOMES
    follow_up_actions: tuple[FollowUpActionDefinition, ...] = NEPHROLOGY_ACTIONS
    summary_model: type[NephrologySummary] = NephrologySummary
    settings_model: type[BaseModel] | None = NephrologySettings
    thresholds: Mapping[str, tuple[ThresholdBand, ...]] = field(
        default_factory=lambda: MappingProxyType({EGFR.code: EGFR_BANDS, ACR.code: ACR_BANDS})
    )

    def build_summary(self, record: ClinicalRecord, context: SummaryContext) -> NephrologySummary:
        return build_nephrology_summary(
            record,
            today=context.today,
            equation=_settings(context).egfr_equation,
            generated_at=context.generated_at,
        )

    def case_findings(
        self, summary: SpecialtySummary, record: ClinicalRecord, context: SummaryContext
    ) -> tuple[CaseFinding, ...]:
        assert isinstance(summary, NephrologySummary)
        return met_referral_criteria(summary) + nephrology_case_findings(summary, record, context)

    def highlights(self, summary: SpecialtySummary) -> tuple[Highlight, ...]:
        assert isinstance(summary, NephrologySummary)
        latest, ckd, kfre = summary.egfr.latest, summary.ckd, summary.kfre
        categories = " ".join(c.value for c in (ckd.g_category, ckd.a_category) if c is not None)
        five_year = kfre.five_year_percent
        return (
            Highlight(
                label="eGFR",
                value=None if latest is None else _figure(latest.value, latest.comparator),
                unit=EGFR.canonical_unit,
                flag=_band_flag(EGFR_BANDS, latest.value) if latest else None,
            ),
            Highlight(
                label="Slope /yr",
                value=summary.egfr.slope_per_year,
                unit="mL/min/1.73m2/yr",
                flag="attention" if summary.egfr.accelerated_progression else None,
            ),
            Highlight(
                label="CKD",
                value=categories or None,
                unit=None,
                flag=_RISK_FLAGS[ckd.kdigo_risk] if ckd.kdigo_risk else None,
            ),
            Highlight(
                label="KFRE 5y",
                value=five_year,
                unit="%",
                flag=None
                if five_year is None
                else "urgent"
                if five_year > KFRE_REFERRAL_PERCENT
                else "normal",
            ),
        )

    def letter_series(self, summary: SpecialtySummary) -> str | None:
        return EGFR.code


def _settings(context: SummaryContext) -> NephrologySettings:
    settings = context.settings
    return settings if isinstance(settings, NephrologySettings) else NephrologySettings()


def _figure(value: float, comparator: str | None) -> str | float:
    """A number stays a number; a reported bound (``>90``) is text, as the laboratory wrote it."""
    return value if comparator is None else shown(value, comparator)


def _band_flag(bands: tuple[ThresholdBand, ...], value: float) -> HighlightFlag:
    for band in bands:
        if (band.low is None or value >= band.low) and (band.high is None or value < band.high):
            return band.flag
    return "normal"


NEPHROLOGY = Nephrology()
