"""The nephrology summary: the response of ``GET /v1/patients/{nhs}/summaries/nephrology``.

The shape is the contract in DESIGN.md ("The nephrology summary"); field names are fixed, and the fields
beyond it (``equation``, ``comparator``, ``reason``, the envelope's ``series`` and criterion ``title`` ...)
only add. It is the shared envelope (``schemas.api.summary``) with nephrology's own fields. Numbers keep full
precision: rounding is the page's job. The vocabularies (categories, statuses, classes) live here so that
the calculations and the API spell them one way.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from schemas.api.summary import ConditionEntry as ConditionEntry
from schemas.api.summary import CriterionResult, MedicationPublic, ResultValue, SpecialtySummary
from schemas.api.summary import CriterionStatus as CriterionStatus
from schemas.api.summary import SummaryPatient as SummaryPatient
from schemas.api.summary import SummarySource as SummarySource


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


# The envelope's shapes under the names nephrology's summary has always used.
LabPoint = ResultValue
ReferralCriterion = CriterionResult
MedicationEntry = MedicationPublic


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


class NephrologySummary(SpecialtySummary):
    """The renal summary: the envelope, then the kidney's own figures."""

    specialty: Literal["nephrology"] = "nephrology"
    egfr: EgfrSummary
    creatinine: CreatinineSummary
    acr: AcrSummary
    ckd: CkdCategories
    kfre: KfreSummary
    aki_episodes: list[AkiEpisode]
    blood_pressure: BloodPressureSummary
