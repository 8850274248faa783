"""The nephrology summary: every rule of CLINICAL.md applied to one normalised record.

The shape is DESIGN.md's contract ("The nephrology summary"), modelled in ``schemas.api.nephrology``. This
module only assembles: each number comes from the rule module that documents its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from app.specialties.analytes import (
    ACR,
    CREATININE,
    DIASTOLIC_BP,
    EGFR,
    HAEMOGLOBIN,
    HBA1C,
    POTASSIUM,
    SYSTOLIC_BP,
)
from app.specialties.envelope import (
    condition_entry,
    medicines_public,
    result_value,
    summary_patient,
    summary_source,
)
from app.specialties.nephrology.aki import AkiEpisode as AkiEpisodeFound
from app.specialties.nephrology.aki import aki_alerts, aki_episodes
from app.specialties.nephrology.blood_pressure import BloodPressureAssessment, assess_blood_pressure
from app.specialties.nephrology.criteria import (
    accelerated_progression,
    haematuria_findings,
    referral_criteria,
)
from app.specialties.nephrology.criterion_definitions import TITLES
from app.specialties.nephrology.egfr import EgfrResult, egfr_series
from app.specialties.nephrology.kdigo import a_category_of, g_category_of, kdigo_risk
from app.specialties.nephrology.kfre import KfreAssessment, assess_kfre
from app.specialties.nephrology.medicines import (
    ClassifiedMedication,
    active_antihypertensive_classes,
    classify_medications,
)
from app.specialties.nephrology.results import DayValue
from app.specialties.nephrology.summary_warnings import SummaryFacts, summary_warnings
from app.specialties.nephrology.trend import daily_egfr, egfr_slope_per_year
from schemas.api.nephrology import (
    AcrSummary,
    AkiEpisode,
    BloodPressureReading,
    BloodPressureSummary,
    CkdCategories,
    CreatinineSummary,
    DatedValue,
    EgfrEquation,
    EgfrPoint,
    EgfrSummary,
    KfreCalibration,
    KfreSummary,
    LabPoint,
    MedicationEntry,
    NephrologySummary,
    ReferralCriterion,
)
from schemas.clinical import (
    ClinicalRecord,
    Measurement,
)

EGFR_UNIT = EGFR.canonical_unit
# The latest result of each, keyed by analyte, in the envelope's ``latest``.
LATEST = (EGFR, CREATININE, ACR, POTASSIUM, HAEMOGLOBIN, HBA1C)


def build_nephrology_summary(
    record: ClinicalRecord,
    *,
    today: date,
    equation: EgfrEquation = EgfrEquation.CKD_EPI_2009,
    generated_at: datetime,
    calibration: KfreCalibration = KfreCalibration.NON_NORTH_AMERICAN,
) -> NephrologySummary:
    """The nephrology summary of ``record`` on ``today``; a missing eGFR is calculated with ``equation``."""
    patient = record.patient
    creatinine, acr = record.series(CREATININE.code), record.series(ACR.code)
    found = egfr_series(
        reported=record.series(EGFR.code),
        creatinine=creatinine,
        birth_date=patient.birth_date,
        sex=patient.sex,
        equation=equation,
    )
    egfr = found.results
    days = daily_egfr(egfr)
    latest_acr = acr[-1] if acr else None
    kfre = assess_kfre(
        latest_egfr=egfr[-1] if egfr else None,
        acr=acr,
        birth_date=patient.birth_date,
        sex=patient.sex,
        calibration=calibration,
    )
    blood_pressure = assess_blood_pressure(record.blood_pressures, latest_acr=latest_acr)
    medicines = classify_medications(record.medications)
    outcomes = referral_criteria(
        daily_egfr=days,
        latest_acr=latest_acr,
        kfre=kfre,
        conditions=record.conditions,
        haematuria=haematuria_findings(record.conditions),
        antihypertensives=active_antihypertensive_classes(medicines),
        blood_pressure=blood_pressure,
        record_complete=record.complete,
    )
    egfr_summary = _egfr(egfr, days, equation, accelerated=accelerated_progression(outcomes))
    creatinine_points = [result_value(m) for m in creatinine]
    acr_points = [result_value(m) for m in acr]
    egfr_points = [
        LabPoint(date=p.date, value=p.value, unit=p.unit, comparator=p.comparator)
        for p in egfr_summary.series
    ]
    latest = {definition.code: _latest(record.series(definition.code)) for definition in LATEST}
    latest[EGFR.code] = egfr_points[-1] if egfr_points else None
    return NephrologySummary(
        generated_at=generated_at,
        complete=record.complete,
        sources=[summary_source(source) for source in record.sources],
        patient=summary_patient(patient, today),
        egfr=egfr_summary,
        creatinine=CreatinineSummary(series=creatinine_points),
        acr=AcrSummary(series=acr_points, latest=_latest_dated(acr)),
        ckd=_ckd(egfr, latest_acr),
        kfre=_kfre(kfre),
        referral_criteria=[
            ReferralCriterion(code=o.code, title=TITLES[o.code], status=o.status, evidence=o.evidence)
            for o in outcomes
        ],
        aki_episodes=[_aki_episode(episode) for episode in aki_episodes(aki_alerts(creatinine))],
        blood_pressure=_blood_pressure(blood_pressure),
        medications=_medications(medicines),
        conditions=[condition_entry(condition) for condition in record.conditions],
        latest=latest,
        series={
            EGFR.code: egfr_points,
            CREATININE.code: creatinine_points,
            ACR.code: acr_points,
            **_blood_pressure_series(record),
        },
        warnings=summary_warnings(
            record, SummaryFacts(egfr, days, found.warnings, acr, kfre, medicines), today=today
        ),
    )


def _egfr(
    egfr: Sequence[EgfrResult], days: Sequence[DayValue], equation: EgfrEquation, *, accelerated: bool
) -> EgfrSummary:
    latest = egfr[-1] if egfr else None
    return EgfrSummary(
        series=[_egfr_point(result) for result in egfr],
        latest=None if latest is None else _dated(latest.day, latest.value, latest.comparator),
        slope_per_year=egfr_slope_per_year(days),
        accelerated_progression=accelerated,
        equation=equation,
    )


def _latest_dated(series: Sequence[Measurement]) -> DatedValue | None:
    if not series:
        return None
    latest = series[-1]
    return _dated(latest.taken_at.date(), latest.value, latest.comparator)


def _dated(day: date, value: float, comparator: str | None) -> DatedValue:
    return DatedValue(date=day, value=value, comparator=comparator)


def _egfr_point(result: EgfrResult) -> EgfrPoint:
    return EgfrPoint(
        date=result.day,
        value=result.value,
        unit=EGFR_UNIT,
        origin=result.origin,
        equation=result.equation,
        comparator=result.comparator,
    )


def _blood_pressure_series(record: ClinicalRecord) -> dict[str, list[LabPoint]]:
    """Every reading, systolic and diastolic apart, oldest first, so the page can chart them together."""
    readings = sorted(record.blood_pressures, key=lambda reading: reading.taken_at)
    unit = SYSTOLIC_BP.canonical_unit
    return {
        SYSTOLIC_BP.code: [LabPoint(date=r.taken_at.date(), value=r.systolic, unit=unit) for r in readings],
        DIASTOLIC_BP.code: [LabPoint(date=r.taken_at.date(), value=r.diastolic, unit=unit) for r in readings],
    }


def _latest(series: Sequence[Measurement]) -> LabPoint | None:
    return result_value(series[-1]) if series else None


def _ckd(egfr: Sequence[EgfrResult], latest_acr: Measurement | None) -> CkdCategories:
    """KDIGO categories of the latest eGFR and ACR; a missing part leaves its category and the risk empty."""
    g = g_category_of(egfr[-1].value, egfr[-1].comparator) if egfr else None
    a = None if latest_acr is None else a_category_of(latest_acr.value, latest_acr.comparator)
    return CkdCategories(
        g_category=g,
        a_category=a,
        kdigo_risk=None if g is None or a is None else kdigo_risk(g, a),
    )


def _kfre(kfre: KfreAssessment) -> KfreSummary:
    return KfreSummary(
        two_year_percent=kfre.two_year_percent,
        five_year_percent=kfre.five_year_percent,
        calibration=kfre.calibration,
        reason=kfre.reason,
    )


def _aki_episode(episode: AkiEpisodeFound) -> AkiEpisode:
    return AkiEpisode(
        date=episode.day,
        stage=episode.stage,
        creatinine=episode.creatinine,
        baseline=episode.baseline,
    )


def _blood_pressure(assessment: BloodPressureAssessment) -> BloodPressureSummary:
    latest = assessment.latest
    return BloodPressureSummary(
        latest=None
        if latest is None
        else BloodPressureReading(
            date=latest.taken_at.date(), systolic=latest.systolic, diastolic=latest.diastolic
        ),
        target=assessment.target.label,
        above_target=assessment.above_target,
    )


def _medications(medicines: Sequence[ClassifiedMedication]) -> list[MedicationEntry]:
    """One entry per course of each medicine, with the classes found in its latest request."""
    classes = {id(item.medication): item.classes for item in medicines}
    return medicines_public([item.medication for item in medicines], lambda m: classes[id(m)])
