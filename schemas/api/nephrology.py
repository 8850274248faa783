"""The nephrology summary: the response of ``GET /v1/patients/{nhs}/summaries/nephrology``.

The shape is the contract in DESIGN.md ("The nephrology summary"); field names are fixed, and the fields
beyond it (``equation``, ``comparator``, ``reason`` ...) only add. Numbers keep full precision: rounding is
the page's job. The vocabularies (categories, statuses, classes) live here so that the calculations and the
API spell them one way.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from schemas.clinical import Sex


class EgfrEquation(StrEnum):
    """The creatinine equation for a calculated eGFR (CLINICAL.md, "eGFR from creatinine")."""

    CKD_EPI_2009 = "ckd-epi-2009"
    CKD_EPI_2021 = "ckd-epi-2021"


class EgfrOrigin(StrEnum):
    REPORTED = "reported"
    CALCULATED = "calculated"


class GCategory(StrEnum):
    G1 = "G1"
    G2 = "G2"
    G3A = "G3a"
    G3B = "G3b"
    G4 = "G4"
    G5 = "G5"


class ACategory(StrEnum):
    A1 = "A1"
    A2 = "A2"
    A3 = "A3"


class KdigoRisk(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    VERY_HIGH = "very-high"


class KfreCalibration(StrEnum):
    NON_NORTH_AMERICAN = "non-north-american"
    NORTH_AMERICAN = "north-american"


class CriterionCode(StrEnum):
    """The NICE NG203 referral criteria, spelt as in CLINICAL.md."""

    KFRE_5Y_OVER_5PCT = "kfre-5y-over-5pct"
    ACR_70_OR_MORE = "acr-70-or-more"
    ACR_OVER_30_WITH_HAEMATURIA = "acr-over-30-with-haematuria"
    EGFR_DECLINE_25PCT = "egfr-decline-25pct"
    EGFR_DECLINE_15_PER_YEAR = "egfr-decline-15-per-year"
    UNCONTROLLED_HYPERTENSION_4_DRUGS = "uncontrolled-hypertension-4-drugs"
    RARE_OR_GENETIC_CAUSE = "rare-or-genetic-cause"
    RENAL_ARTERY_STENOSIS = "renal-artery-stenosis"


class CriterionStatus(StrEnum):
    MET = "met"
    NOT_MET = "not-met"
    INSUFFICIENT_DATA = "insufficient-data"


class MedicineClass(StrEnum):
    """The medicine classes that matter to the kidney (CLINICAL.md, "Medicines that matter")."""

    ACEI = "acei"
    ARB = "arb"
    SGLT2I = "sglt2i"
    MRA = "mra"
    FINERENONE = "finerenone"
    STATIN = "statin"
    NSAID = "nsaid"
    METFORMIN = "metformin"
    LOOP_DIURETIC = "loop-diuretic"
    THIAZIDE = "thiazide"
    BETA_BLOCKER = "beta-blocker"
    CCB = "ccb"
    ALPHA_BLOCKER = "alpha-blocker"


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


class DatedValue(BaseModel):
    date: dt.date
    value: float
    comparator: str | None = None


class EgfrPoint(BaseModel):
    date: dt.date
    value: float
    unit: str
    origin: EgfrOrigin
    equation: EgfrEquation | None = None
    comparator: str | None = None


class LabPoint(BaseModel):
    date: dt.date
    value: float
    unit: str
    comparator: str | None = None


class EgfrSummary(BaseModel):
    series: list[EgfrPoint]
    latest: DatedValue | None
    slope_per_year: float | None
    accelerated_progression: bool
    equation: EgfrEquation


class CreatinineSummary(BaseModel):
    series: list[LabPoint]


class AcrSummary(BaseModel):
    series: list[LabPoint]
    latest: DatedValue | None


class CkdCategories(BaseModel):
    g_category: GCategory | None
    a_category: ACategory | None
    kdigo_risk: KdigoRisk | None


class KfreSummary(BaseModel):
    two_year_percent: float | None
    five_year_percent: float | None
    calibration: KfreCalibration
    reason: str | None = None


class ReferralCriterion(BaseModel):
    code: CriterionCode
    status: CriterionStatus
    evidence: str


class AkiEpisode(BaseModel):
    date: dt.date
    stage: Literal[1, 2, 3]
    creatinine: float
    baseline: float


class BloodPressureReading(BaseModel):
    date: dt.date
    systolic: float
    diastolic: float


class BloodPressureSummary(BaseModel):
    latest: BloodPressureReading | None
    target: Literal["140/90", "130/80"]
    above_target: bool | None


class MedicationEntry(BaseModel):
    name: str
    classes: list[MedicineClass]
    status: str


class ConditionEntry(BaseModel):
    code: str | None
    system: str | None
    display: str | None
    onset: dt.date | None = None
    clinical_status: str | None = None


class LatestResults(BaseModel):
    potassium: LabPoint | None
    haemoglobin: LabPoint | None
    hba1c: LabPoint | None


class NephrologySummary(BaseModel):
    specialty: Literal["nephrology"] = "nephrology"
    generated_at: dt.datetime
    complete: bool
    sources: list[SummarySource]
    patient: SummaryPatient
    egfr: EgfrSummary
    creatinine: CreatinineSummary
    acr: AcrSummary
    ckd: CkdCategories
    kfre: KfreSummary
    referral_criteria: list[ReferralCriterion]
    aki_episodes: list[AkiEpisode]
    blood_pressure: BloodPressureSummary
    medications: list[MedicationEntry]
    conditions: list[ConditionEntry]
    latest: LatestResults
    warnings: list[str]
