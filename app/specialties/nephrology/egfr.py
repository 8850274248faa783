"""eGFR: the laboratory's where it reported one, CKD-EPI from creatinine where it did not.

Sources: CKD-EPI 2009 (Levey et al., Ann Intern Med 2009) without the ethnicity coefficient, the default
because NICE NG203 (2021) dropped the ethnicity adjustment; CKD-EPI 2021 (Inker et al., NEJM 2021) by
setting. Creatinine in mg/dL = µmol/L ÷ 88.4; age in whole years at the sample date (CLINICAL.md, "eGFR from
creatinine").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.specialties.nephrology.dates import age_in_whole_years, epoch_seconds
from schemas.api.nephrology import EgfrEquation, EgfrOrigin
from schemas.clinical import Measurement, Sex

__all__ = [
    "ADULT_AGE",
    "EgfrEquation",
    "EgfrResult",
    "EgfrSeries",
    "calculated_egfr",
    "egfr_ckd_epi_2009",
    "egfr_ckd_epi_2021",
    "egfr_series",
]

UMOL_PER_MG_DL = 88.4
ADULT_AGE = 18
"""CKD-EPI was derived and validated in adults; NICE NG203 uses it from 18 years."""


def _ckd_epi(
    creatinine_umol_l: float,
    *,
    female: bool,
    alpha: tuple[float, float],
    above_kappa: float,
    scale: float,
    age_factor: float,
    female_factor: float,
    age_years: int,
) -> float:
    """CKD-EPI: scale * min(Scr/k,1)^alpha * max(Scr/k,1)^above * age_factor^age [* female_factor]."""
    ratio = creatinine_umol_l / UMOL_PER_MG_DL / (0.7 if female else 0.9)
    value = (
        scale
        * math.pow(min(ratio, 1.0), alpha[0] if female else alpha[1])
        * math.pow(max(ratio, 1.0), above_kappa)
        * math.pow(age_factor, age_years)
    )
    return value * female_factor if female else value


def egfr_ckd_epi_2009(*, creatinine_umol_l: float, age_years: int, female: bool) -> float:
    """CKD-EPI 2009 without the ethnicity coefficient, mL/min/1.73m² (Levey 2009; NICE NG203)."""
    return _ckd_epi(
        creatinine_umol_l,
        female=female,
        alpha=(-0.329, -0.411),
        above_kappa=-1.209,
        scale=141.0,
        age_factor=0.993,
        female_factor=1.018,
        age_years=age_years,
    )


def egfr_ckd_epi_2021(*, creatinine_umol_l: float, age_years: int, female: bool) -> float:
    """CKD-EPI 2021 race-free creatinine equation, mL/min/1.73m² (Inker 2021)."""
    return _ckd_epi(
        creatinine_umol_l,
        female=female,
        alpha=(-0.241, -0.302),
        above_kappa=-1.200,
        scale=142.0,
        age_factor=0.9938,
        female_factor=1.012,
        age_years=age_years,
    )


def calculated_egfr(
    *, creatinine_umol_l: float, age_years: int, female: bool, equation: EgfrEquation
) -> float:
    """The eGFR the chosen equation gives for one creatinine."""
    function = egfr_ckd_epi_2021 if equation is EgfrEquation.CKD_EPI_2021 else egfr_ckd_epi_2009
    return function(creatinine_umol_l=creatinine_umol_l, age_years=age_years, female=female)


@dataclass(frozen=True, slots=True)
class EgfrResult:
    """One eGFR: reported by the laboratory, or calculated from a creatinine with the named equation."""

    taken_at: datetime
    value: float
    origin: EgfrOrigin
    comparator: str | None = None
    equation: EgfrEquation | None = None

    @property
    def day(self) -> date:
        return self.taken_at.date()


@dataclass(frozen=True, slots=True)
class EgfrSeries:
    results: list[EgfrResult]
    warnings: list[str]


def egfr_series(
    *,
    reported: Sequence[Measurement],
    creatinine: Sequence[Measurement],
    birth_date: date | None,
    sex: Sex,
    equation: EgfrEquation,
) -> EgfrSeries:
    """Every reported eGFR, plus one calculated from each creatinine dated on a day with no reported eGFR.

    A laboratory's eGFR wins on its day because it is what the GP saw and acted on; calculating beside it
    would put two values on one day from one sample.
    """
    reported_days = {measurement.taken_at.date() for measurement in reported}
    results = [
        EgfrResult(measurement.taken_at, measurement.value, EgfrOrigin.REPORTED, measurement.comparator)
        for measurement in reported
    ]
    uncovered = [
        measurement for measurement in creatinine if measurement.taken_at.date() not in reported_days
    ]
    calculated, warnings = _calculated(uncovered, birth_date=birth_date, sex=sex, equation=equation)
    results.extend(calculated)
    results.sort(key=lambda result: epoch_seconds(result.taken_at))
    return EgfrSeries(results, warnings)


def _calculated(
    creatinine: Sequence[Measurement], *, birth_date: date | None, sex: Sex, equation: EgfrEquation
) -> tuple[list[EgfrResult], list[str]]:
    if not creatinine:
        return [], []
    if birth_date is None or sex not in (Sex.MALE, Sex.FEMALE):
        missing = "birth date" if birth_date is None else "sex (male or female)"
        return [], [
            f"{_results(len(creatinine))} without a reported eGFR: none calculated, {missing} unknown"
        ]
    results: list[EgfrResult] = []
    censored = minors = 0
    for measurement in creatinine:
        age = age_in_whole_years(birth_date, measurement.taken_at.date())
        if measurement.comparator is not None:
            censored += 1
        elif age < ADULT_AGE:
            minors += 1
        else:
            value = calculated_egfr(
                creatinine_umol_l=measurement.value,
                age_years=age,
                female=sex is Sex.FEMALE,
                equation=equation,
            )
            results.append(EgfrResult(measurement.taken_at, value, EgfrOrigin.CALCULATED, None, equation))
    warnings = []
    if censored:
        warnings.append(f"{_results(censored)} reported with a comparator: no eGFR calculated from them")
    if minors:
        warnings.append(
            f"{_results(minors)} taken before age {ADULT_AGE}: CKD-EPI is for adults, none calculated"
        )
    return results, warnings


def _results(count: int) -> str:
    return "1 creatinine result" if count == 1 else f"{count} creatinine results"
