"""NICE NG203 referral criteria (recommendation 1.5.5), each ``met``, ``not-met`` or ``insufficient-data``.

The readings of each criterion are CLINICAL.md's. Two rules of evidence hold throughout:
- a censored result (``>90``) decides a comparison only when its bound does; otherwise the data are
  insufficient, never guessed;
- the absence of a result, a code or a medicine is evidence only in a complete record: when a source failed,
  "none found" is insufficient data, and the evidence says the record is incomplete rather than that
  nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.specialties.nephrology.blood_pressure import BloodPressureAssessment
from app.specialties.nephrology.coded_conditions import (
    DIABETES,
    HAEMATURIA,
    RARE_OR_GENETIC_CAUSE,
    RENAL_ARTERY_STENOSIS,
    ConditionMatcher,
    condition_label,
)
from app.specialties.nephrology.dates import within_months
from app.specialties.nephrology.kdigo import g_category, is_worse
from app.specialties.nephrology.kfre import KFRE_EGFR_LIMIT, KfreAssessment
from app.specialties.nephrology.results import (
    DayValue,
    highest_possible,
    lowest_possible,
    rounded,
    shown,
)
from app.specialties.nephrology.trend import days_up_to_latest, ols_slope_per_year, slope_in_words
from schemas.api.nephrology import CriterionCode, CriterionStatus, MedicineClass
from schemas.clinical import Condition, Measurement

MET = CriterionStatus.MET
NOT_MET = CriterionStatus.NOT_MET
INSUFFICIENT = CriterionStatus.INSUFFICIENT_DATA

KFRE_5Y_THRESHOLD = 5.0
ACR_HIGH = 70.0
ACR_WITH_HAEMATURIA = 30.0
HAEMATURIA_WINDOW_MONTHS = 12
DECLINE_WINDOW_MONTHS = 12
DECLINE_FRACTION = 0.75
DECLINE_PER_YEAR = -15.0
ANTIHYPERTENSIVE_CLASS_COUNT = 4
INCOMPLETE = "the record is incomplete"


def _none_found(what: str, *, record_complete: bool) -> str:
    """Absence in words that are true: "none recorded" only when the whole record was read."""
    return f"no {what} recorded" if record_complete else f"no {what} found, but {INCOMPLETE}"


@dataclass(frozen=True, slots=True)
class CriterionOutcome:
    code: CriterionCode
    status: CriterionStatus
    evidence: str


@dataclass(frozen=True, slots=True)
class DatedFinding:
    """A haematuria record: its date (None when the record gives none) and how it reads."""

    day: date | None
    label: str


def kfre_over_5_percent(kfre: KfreAssessment, *, record_complete: bool) -> CriterionOutcome:
    """5-year KFRE above 5 % (NICE NG203 1.5.5; the KFRE applies below eGFR 60)."""
    code = CriterionCode.KFRE_5Y_OVER_5PCT
    five_year, egfr, acr = kfre.five_year_percent, kfre.egfr, kfre.acr
    if five_year is not None and egfr is not None and acr is not None:
        evidence = (
            f"5-year KFRE {_kfre_percent(five_year)}% ({kfre.calibration} calibration) "
            f"from age {kfre.age_years}, "
            f"eGFR {shown(egfr.value, egfr.comparator)} on {egfr.day}, "
            f"ACR {shown(acr.value, acr.comparator)} mg/mmol on {acr.taken_at.date()}"
        )
        return CriterionOutcome(code, MET if five_year > KFRE_5Y_THRESHOLD else NOT_MET, evidence)
    if egfr is not None and lowest_possible(egfr.value, egfr.comparator) >= KFRE_EGFR_LIMIT:
        return CriterionOutcome(code, NOT_MET, f"no KFRE: {kfre.reason}")
    incomplete = "" if record_complete else f"; {INCOMPLETE}"
    return CriterionOutcome(code, INSUFFICIENT, f"no KFRE: {kfre.reason}{incomplete}")


def _kfre_percent(percent: float) -> str:
    """One decimal place, except near the threshold, where rounding could hide which side a risk is on."""
    if abs(percent - KFRE_5Y_THRESHOLD) < 0.05:
        return f"{percent:.3f}"
    return f"{percent:.1f}"


def _acr_reading(acr: Measurement) -> str:
    return f"latest ACR {shown(acr.value, acr.comparator)} mg/mmol on {acr.taken_at.date()}"


def acr_70_or_more(
    latest_acr: Measurement | None, diabetes: Sequence[Condition], *, record_complete: bool
) -> CriterionOutcome:
    """Latest ACR 70 mg/mmol or more, bar diabetes already appropriately treated (NICE NG203 1.5.5)."""
    code = CriterionCode.ACR_70_OR_MORE
    if latest_acr is None:
        return CriterionOutcome(code, INSUFFICIENT, _none_found("urine ACR", record_complete=record_complete))
    reading = _acr_reading(latest_acr)
    if lowest_possible(latest_acr.value, latest_acr.comparator) >= ACR_HIGH:
        exception = "NICE exception: albuminuria caused by diabetes and already appropriately treated"
        coded = f" (diabetes coded: {', '.join(condition_label(c) for c in diabetes)})" if diabetes else ""
        return CriterionOutcome(code, MET, f"{reading} is 70 or more. {exception}{coded}")
    if highest_possible(latest_acr.value, latest_acr.comparator) < ACR_HIGH:
        return CriterionOutcome(code, NOT_MET, f"{reading} is below 70")
    return CriterionOutcome(code, INSUFFICIENT, f"{reading} does not show whether it is 70 or more")


def acr_over_30_with_haematuria(
    latest_acr: Measurement | None, haematuria: Sequence[DatedFinding], *, record_complete: bool
) -> CriterionOutcome:
    """Latest ACR above 30 mg/mmol with haematuria recorded within 12 months of it (NICE NG203 1.5.5)."""
    code = CriterionCode.ACR_OVER_30_WITH_HAEMATURIA
    if latest_acr is None:
        return CriterionOutcome(code, INSUFFICIENT, _none_found("urine ACR", record_complete=record_complete))
    acr_day = latest_acr.taken_at.date()
    reading = _acr_reading(latest_acr)
    if highest_possible(latest_acr.value, latest_acr.comparator) <= ACR_WITH_HAEMATURIA:
        return CriterionOutcome(code, NOT_MET, f"{reading} is not above 30")
    if lowest_possible(latest_acr.value, latest_acr.comparator) <= ACR_WITH_HAEMATURIA:
        return CriterionOutcome(code, INSUFFICIENT, f"{reading} does not show whether it is above 30")
    near = [
        finding
        for finding in haematuria
        if finding.day is not None and within_months(finding.day, acr_day, HAEMATURIA_WINDOW_MONTHS)
    ]
    if near:
        found = "; ".join(f"{finding.label} on {finding.day}" for finding in near)
        return CriterionOutcome(code, MET, f"{reading} with haematuria within 12 months: {found}")
    undated = [finding.label for finding in haematuria if finding.day is None]
    if undated:
        return CriterionOutcome(
            code, INSUFFICIENT, f"{reading}; haematuria coded without a date ({', '.join(undated)})"
        )
    if not record_complete:
        return CriterionOutcome(code, INSUFFICIENT, f"{reading}; no haematuria found, but {INCOMPLETE}")
    return CriterionOutcome(code, NOT_MET, f"{reading}; no haematuria recorded within 12 months of it")


def _decline_from(base: DayValue, latest: DayValue, before: DayValue) -> CriterionStatus:
    """Whether L and the result before it are at or below 75% of B with L's G category worse than B's."""
    certain_limit = DECLINE_FRACTION * lowest_possible(base.value, base.comparator)
    possible_limit = DECLINE_FRACTION * highest_possible(base.value, base.comparator)
    highs = [highest_possible(day.value, day.comparator) for day in (latest, before)]
    lows = [lowest_possible(day.value, day.comparator) for day in (latest, before)]
    if max(highs) <= certain_limit and is_worse(
        g_category(highs[0]), g_category(lowest_possible(base.value, base.comparator))
    ):
        return MET
    if max(lows) <= possible_limit and is_worse(
        g_category(lows[0]), g_category(highest_possible(base.value, base.comparator))
    ):
        return INSUFFICIENT
    return NOT_MET


def egfr_decline_25_percent(daily_egfr: Sequence[DayValue], *, record_complete: bool) -> CriterionOutcome:
    """A sustained fall of 25% or more with a worse G category within 12 months (NICE NG203 1.5.5).

    Read as: a result B within the 12 months before the latest L, with L and the result before L (dated after
    B) both at or below 0.75 * B, and L's G category worse than B's, over one eGFR a day.
    """
    code = CriterionCode.EGFR_DECLINE_25PCT
    days = days_up_to_latest(daily_egfr, months=DECLINE_WINDOW_MONTHS)
    if len(days) < 3:
        found = f"{len(days)} found" if record_complete else f"{len(days)} found, but {INCOMPLETE}"
        return CriterionOutcome(
            code, INSUFFICIENT, f"needs 3 days with eGFR in the 12 months up to the latest; {found}"
        )
    latest, before = days[-1], days[-2]
    statuses = {base: _decline_from(base, latest, before) for base in days[:-2]}
    pair = (
        f"eGFR {shown(latest.value, latest.comparator)} on {latest.day} and "
        f"{shown(before.value, before.comparator)} on {before.day}"
    )
    for wanted, verdict in ((MET, "at or below 75% of"), (INSUFFICIENT, "possibly at or below 75% of")):
        bases = [base for base, status in statuses.items() if status is wanted]
        if bases:
            base = max(bases, key=lambda day: day.value)
            return CriterionOutcome(
                code,
                wanted,
                f"{pair} {verdict} {shown(base.value, base.comparator)} on {base.day}, "
                f"{g_category(base.value)} to {g_category(latest.value)}",
            )
    highest = max(days[:-2], key=lambda day: day.value)
    return CriterionOutcome(
        code,
        NOT_MET,
        f"{pair} are not both at or below 75% of an earlier result in the 12 months with a worse G category "
        f"(highest {shown(highest.value, highest.comparator)} on {highest.day})",
    )


def egfr_decline_15_per_year(daily_egfr: Sequence[DayValue], *, record_complete: bool) -> CriterionOutcome:
    """A fall of 15 mL/min/1.73m2 a year or more: the slope over the 12 months up to the latest result."""
    code = CriterionCode.EGFR_DECLINE_15_PER_YEAR
    days = days_up_to_latest(daily_egfr, months=DECLINE_WINDOW_MONTHS)
    slope = ols_slope_per_year(days)
    if slope is None:
        span = (days[-1].day - days[0].day).days if days else 0
        incomplete = "" if record_complete else f", but {INCOMPLETE}"
        return CriterionOutcome(
            code,
            INSUFFICIENT,
            f"needs eGFR on 3 days spanning 90 days in the 12 months up to the latest; "
            f"{len(days)} days spanning {span} days found{incomplete}",
        )
    censored = " (includes censored results at their bound)" if any(d.comparator for d in days) else ""
    evidence = f"{slope_in_words(slope, days)} in the 12 months up to the latest result{censored}"
    return CriterionOutcome(code, MET if slope <= DECLINE_PER_YEAR else NOT_MET, evidence)


def uncontrolled_hypertension_4_drugs(
    classes: dict[MedicineClass, list[str]], blood_pressure: BloodPressureAssessment, *, record_complete: bool
) -> CriterionOutcome:
    """Hypertension above target despite at least 4 antihypertensive classes (NICE NG203 1.5.5).

    Doses are not checked: NICE says "at therapeutic doses", which the record does not show reliably.
    """
    code = CriterionCode.UNCONTROLLED_HYPERTENSION_4_DRUGS
    listed = "; ".join(f"{cls} ({', '.join(names)})" for cls, names in classes.items()) or "none"
    drugs = f"{len(classes)} antihypertensive {'class' if len(classes) == 1 else 'classes'} active: {listed}"
    if len(classes) < ANTIHYPERTENSIVE_CLASS_COUNT:
        if not record_complete:
            return CriterionOutcome(code, INSUFFICIENT, f"{drugs}; the record is incomplete")
        return CriterionOutcome(code, NOT_MET, drugs)
    latest, target = blood_pressure.latest, blood_pressure.target
    if latest is None:
        absent = _none_found("blood pressure", record_complete=record_complete)
        return CriterionOutcome(code, INSUFFICIENT, f"{drugs}; {absent}")
    reading = f"latest BP {rounded(latest.systolic)}/{rounded(latest.diastolic)} on {latest.taken_at.date()}"
    if blood_pressure.above_target:
        return CriterionOutcome(code, MET, f"{drugs}; {reading} is not below the {target.label} target")
    return CriterionOutcome(code, NOT_MET, f"{drugs}; {reading} is below the {target.label} target")


def coded_condition_criterion(
    code: CriterionCode,
    matcher: ConditionMatcher,
    conditions: Sequence[Condition],
    *,
    what: str,
    record_complete: bool,
) -> CriterionOutcome:
    """Met when the record codes the condition (rare or genetic causes; renal artery stenosis)."""
    found = matcher.found_in(conditions)
    if found:
        labels = "; ".join(condition_label(c) + (f" (onset {c.onset})" if c.onset else "") for c in found)
        return CriterionOutcome(code, MET, f"coded: {labels}")
    if not record_complete:
        return CriterionOutcome(code, INSUFFICIENT, f"no {what} coded, but the record is incomplete")
    return CriterionOutcome(code, NOT_MET, f"no {what} coded")


def haematuria_findings(conditions: Sequence[Condition]) -> list[DatedFinding]:
    """Haematuria from coded problems, dated by onset."""
    return [DatedFinding(c.onset, condition_label(c)) for c in HAEMATURIA.found_in(conditions)]


def referral_criteria(
    *,
    daily_egfr: Sequence[DayValue],
    latest_acr: Measurement | None,
    kfre: KfreAssessment,
    conditions: Sequence[Condition],
    haematuria: Sequence[DatedFinding],
    antihypertensives: dict[MedicineClass, list[str]],
    blood_pressure: BloodPressureAssessment,
    record_complete: bool,
) -> list[CriterionOutcome]:
    """Every NICE NG203 referral criterion, in CLINICAL.md's order."""
    return [
        kfre_over_5_percent(kfre, record_complete=record_complete),
        acr_70_or_more(latest_acr, DIABETES.found_in(conditions), record_complete=record_complete),
        acr_over_30_with_haematuria(latest_acr, haematuria, record_complete=record_complete),
        egfr_decline_25_percent(daily_egfr, record_complete=record_complete),
        egfr_decline_15_per_year(daily_egfr, record_complete=record_complete),
        uncontrolled_hypertension_4_drugs(antihypertensives, blood_pressure, record_complete=record_complete),
        coded_condition_criterion(
            CriterionCode.RARE_OR_GENETIC_CAUSE,
            RARE_OR_GENETIC_CAUSE,
            conditions,
            what="rare or genetic cause of CKD",
            record_complete=record_complete,
        ),
        coded_condition_criterion(
            CriterionCode.RENAL_ARTERY_STENOSIS,
            RENAL_ARTERY_STENOSIS,
            conditions,
            what="renal artery stenosis",
            record_complete=record_complete,
        ),
    ]


def accelerated_progression(outcomes: Sequence[CriterionOutcome]) -> bool:
    """Accelerated progression (NICE NG203): either eGFR decline criterion is met."""
    declines = {CriterionCode.EGFR_DECLINE_25PCT, CriterionCode.EGFR_DECLINE_15_PER_YEAR}
    return any(outcome.code in declines and outcome.status is MET for outcome in outcomes)
