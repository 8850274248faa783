"""The 4-variable Kidney Failure Risk Equation (Tangri, JAMA 2011; recalibrated in Tangri, JAMA 2016).

LP = -0.2201 * (age/10 - 7.036) + 0.2467 * (male - 0.5642) - 0.5567 * (eGFR/5 - 7.222)
     + 0.4510 * (ln ACR[mg/g] - 5.137); risk = 1 - S0^exp(LP).
The non-North-American baseline survival is the UK's (the default); the North American one is available.
Inputs and when it applies follow CLINICAL.md ("Kidney Failure Risk Equation") and NICE NG203, which uses the
5-year risk in CKD G3a-G5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.specialties.nephrology.dates import age_in_whole_years, within_months
from app.specialties.nephrology.egfr import ADULT_AGE, EgfrResult
from app.specialties.nephrology.results import highest_possible, shown
from schemas.api.nephrology import KfreCalibration
from schemas.clinical import Measurement, Sex

MG_G_PER_MG_MMOL = 8.84
ACR_WINDOW_MONTHS = 12
KFRE_EGFR_LIMIT = 60.0

BASELINE_SURVIVAL: dict[KfreCalibration, dict[int, float]] = {
    KfreCalibration.NON_NORTH_AMERICAN: {2: 0.9832, 5: 0.9365},
    KfreCalibration.NORTH_AMERICAN: {2: 0.9750, 5: 0.9240},
}


def acr_mg_mmol_to_mg_g(acr_mg_mmol: float) -> float:
    """ACR mg/g = mg/mmol * 8.84 (CLINICAL.md, "Units and codes"); the KFRE was fitted in mg/g."""
    return acr_mg_mmol * MG_G_PER_MG_MMOL


def kfre_linear_predictor(*, age_years: float, male: bool, egfr: float, acr_mg_g: float) -> float:
    """The centred linear predictor of the 4-variable KFRE (Tangri 2011)."""
    return (
        -0.2201 * (age_years / 10 - 7.036)
        + 0.2467 * ((1.0 if male else 0.0) - 0.5642)
        - 0.5567 * (egfr / 5 - 7.222)
        + 0.4510 * (math.log(acr_mg_g) - 5.137)
    )


def kidney_failure_risk_percent(
    *,
    age_years: float,
    male: bool,
    egfr: float,
    acr_mg_g: float,
    years: Literal[2, 5],
    calibration: KfreCalibration = KfreCalibration.NON_NORTH_AMERICAN,
) -> float:
    """Risk of kidney failure within ``years``, in percent (Tangri 2011; baseline survival, Tangri 2016)."""
    predictor = kfre_linear_predictor(age_years=age_years, male=male, egfr=egfr, acr_mg_g=acr_mg_g)
    return 100.0 * (1.0 - math.pow(BASELINE_SURVIVAL[calibration][years], math.exp(predictor)))


@dataclass(frozen=True, slots=True)
class KfreAssessment:
    """The KFRE for this record, or why there is none (``reason``), with the inputs used."""

    calibration: KfreCalibration
    two_year_percent: float | None = None
    five_year_percent: float | None = None
    reason: str | None = None
    age_years: int | None = None
    egfr: EgfrResult | None = None
    acr: Measurement | None = None
    caveat: str | None = None


def latest_acr_near(acr: Sequence[Measurement], day: date) -> Measurement | None:
    """The latest ACR dated within 12 months either side of ``day`` (CLINICAL.md)."""
    for measurement in reversed(acr):
        if within_months(measurement.taken_at.date(), day, ACR_WINDOW_MONTHS):
            return measurement
    return None


def assess_kfre(
    *,
    latest_egfr: EgfrResult | None,
    acr: Sequence[Measurement],
    birth_date: date | None,
    sex: Sex,
    calibration: KfreCalibration,
) -> KfreAssessment:
    """The 2- and 5-year KFRE from the latest eGFR and the latest ACR within 12 months of it."""
    if latest_egfr is None:
        return KfreAssessment(calibration, reason="no eGFR to compute it from")
    if highest_possible(latest_egfr.value, latest_egfr.comparator) >= KFRE_EGFR_LIMIT:
        return KfreAssessment(
            calibration,
            egfr=latest_egfr,
            reason=(
                f"latest eGFR {shown(latest_egfr.value, latest_egfr.comparator)} on {latest_egfr.day} is not "
                "below 60: NICE NG203 uses the KFRE in CKD G3a-G5 only"
            ),
        )
    if birth_date is None:
        return KfreAssessment(calibration, reason="birth date not recorded")
    if sex not in (Sex.MALE, Sex.FEMALE):
        return KfreAssessment(calibration, reason="sex not recorded as male or female")
    age = age_in_whole_years(birth_date, latest_egfr.day)
    if age < ADULT_AGE:
        return KfreAssessment(calibration, reason=f"age {age}: the KFRE is validated in adults only")
    near = latest_acr_near(acr, latest_egfr.day)
    if near is None:
        return KfreAssessment(
            calibration, reason=f"no urine ACR within 12 months of the latest eGFR ({latest_egfr.day})"
        )
    return _computed(latest_egfr, near, age=age, male=sex is Sex.MALE, calibration=calibration)


def _computed(
    egfr: EgfrResult, acr: Measurement, *, age: int, male: bool, calibration: KfreCalibration
) -> KfreAssessment:
    acr_mg_g = acr_mg_mmol_to_mg_g(acr.value)
    two_year = kidney_failure_risk_percent(
        age_years=age, male=male, egfr=egfr.value, acr_mg_g=acr_mg_g, years=2, calibration=calibration
    )
    five_year = kidney_failure_risk_percent(
        age_years=age, male=male, egfr=egfr.value, acr_mg_g=acr_mg_g, years=5, calibration=calibration
    )
    censored = [
        f"{name} {shown(value, comparator)}"
        for name, value, comparator in (
            ("eGFR", egfr.value, egfr.comparator),
            ("ACR", acr.value, acr.comparator),
        )
        if comparator is not None
    ]
    caveat = (
        f"KFRE uses a censored result ({', '.join(censored)}): the risk is approximate" if censored else None
    )
    return KfreAssessment(calibration, two_year, five_year, None, age, egfr, acr, caveat)
