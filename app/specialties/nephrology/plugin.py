"""Nephrology as a specialty plug-in: what the renal virtual clinic needs and offers."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from app.specialties.base import (
    CriterionDefinition,
    FollowUpActionDefinition,
    RecordNeeds,
    ResultNeed,
    SummaryContext,
    SummaryHighlights,
)
from app.specialties.nephrology.results import shown
from app.specialties.nephrology.summary import build_nephrology_summary
from schemas.advice import ChartPoint
from schemas.api.nephrology import CriterionStatus, EgfrEquation, NephrologySummary
from schemas.clinical import Analyte, ClinicalRecord

NG203 = "NICE NG203 (2021), 1.5.5"

# The whole history of every result the summary reads. Its rules are anchored to the latest result (the
# 3-year trend, the 12-month decline criteria, the AKI baseline, the KFRE's ACR) and the chart shows the
# kidney history, so a window counted back from today would hide a patient whose results stopped years ago.
NEPHROLOGY_NEEDS = RecordNeeds(
    results=tuple(
        ResultNeed(analyte)
        for analyte in (
            Analyte.EGFR,
            Analyte.CREATININE,
            Analyte.ACR,
            Analyte.SYSTOLIC_BP,
            Analyte.DIASTOLIC_BP,
            Analyte.BLOOD_PRESSURE_PANEL,
            Analyte.POTASSIUM,
            Analyte.HAEMOGLOBIN,
            Analyte.HBA1C,
        )
    ),
    medication_years=1,
    conditions=True,
)

NEPHROLOGY_CRITERIA = (
    CriterionDefinition("kfre-5y-over-5pct", "5-year kidney failure risk above 5%", NG203),
    CriterionDefinition("acr-70-or-more", "ACR 70 mg/mmol or more", NG203),
    CriterionDefinition("acr-over-30-with-haematuria", "ACR above 30 mg/mmol with haematuria", NG203),
    CriterionDefinition("egfr-decline-25pct", "Sustained fall in eGFR of 25% and a category change", NG203),
    CriterionDefinition("egfr-decline-15-per-year", "Sustained fall in eGFR of 15 or more a year", NG203),
    CriterionDefinition(
        "uncontrolled-hypertension-4-drugs", "Hypertension above target on 4 or more drugs", NG203
    ),
    CriterionDefinition("rare-or-genetic-cause", "Known or suspected rare or genetic cause of CKD", NG203),
    CriterionDefinition("renal-artery-stenosis", "Suspected renal artery stenosis", NG203),
)

NEPHROLOGY_ACTIONS = (
    FollowUpActionDefinition("repeat-ue-acr-3-months", "Repeat U&E and urine ACR in 3 months", 90),
    FollowUpActionDefinition("repeat-ue-2-weeks", "Repeat U&E in 2 weeks", 14),
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
    needs: RecordNeeds = NEPHROLOGY_NEEDS
    referral_criteria: tuple[CriterionDefinition, ...] = NEPHROLOGY_CRITERIA
    advice_outcomes: tuple[str, ...] = ADVICE_OUTCOMES
    follow_up_actions: tuple[FollowUpActionDefinition, ...] = NEPHROLOGY_ACTIONS
    summary_model: type[BaseModel] = NephrologySummary

    def build_summary(self, record: ClinicalRecord, context: SummaryContext) -> BaseModel:
        return build_nephrology_summary(
            record,
            today=context.today,
            equation=EgfrEquation(context.egfr_equation),
            generated_at=context.generated_at,
        )

    def highlights(self, summary: BaseModel) -> SummaryHighlights:
        assert isinstance(summary, NephrologySummary)
        latest = summary.egfr.latest
        met = tuple(c.code.value for c in summary.referral_criteria if c.status is CriterionStatus.MET)
        category = summary.ckd.g_category.value if summary.ckd.g_category else None
        return SummaryHighlights(
            headline=f"eGFR {shown(latest.value, latest.comparator)} ({category})"
            if latest
            else ("no eGFR on record" if summary.complete else "no eGFR found: the record is incomplete"),
            complete=summary.complete,
            latest_egfr=latest.value if latest else None,
            egfr_slope_per_year=summary.egfr.slope_per_year,
            g_category=category,
            a_category=summary.ckd.a_category.value if summary.ckd.a_category else None,
            kfre_five_year_percent=summary.kfre.five_year_percent,
            criteria_met=met,
        )

    def letter_chart(self, summary: BaseModel) -> list[ChartPoint]:
        assert isinstance(summary, NephrologySummary)
        return [ChartPoint(date=point.date, value=point.value) for point in summary.egfr.series]


NEPHROLOGY = Nephrology()
