"""Nephrology's case-finding searches: the practice searches of the East London renal model, run per patient.

Each rule reads the summary the page shows (its eGFR series, latest ACR, medicines) and the record's coded
problems through the same matchers as the referral criteria, so a finding and the summary never disagree.
A search that rests on something being absent (no CKD code, no ACE inhibitor, no recent eGFR) finds nothing
in an incomplete record: absence is evidence only when the whole record was read (as in ``criteria``).

Severity is higher when the patient is worse off, so a finding a practice dismissed is raised again only then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from app.specialties.base import CaseFinding, CaseFindingRule, SummaryContext
from app.specialties.nephrology.coded_conditions import (
    CKD_OTHER,
    CKD_STAGE_3_TO_5,
    DIABETES,
    condition_label,
)
from app.specialties.nephrology.dates import shift_months
from app.specialties.nephrology.kdigo import G_ORDER, g_category
from app.specialties.nephrology.results import highest_possible, lowest_possible, shown
from schemas.api.nephrology import EgfrPoint, GCategory, MedicineClass, NephrologySummary
from schemas.clinical import ClinicalRecord, Condition

CEG = "CEG-style practice search (East London renal virtual clinic)"

UNRECOGNISED_CKD = CaseFindingRule(
    "unrecognised-ckd",
    "eGFR below 60 for 90 days or more with no CKD stage 3-5 coded",
    f"{CEG}; KDIGO 2012 and NICE NG203 definition of CKD; QOF CKD register (stage 3-5 codes)",
    coding_gap=True,
)
ALBUMINURIA_NOT_ON_ACEI_ARB = CaseFindingRule(
    "albuminuria-not-on-acei-arb",
    "Albuminuria with no ACE inhibitor or ARB",
    f"{CEG}; NICE NG203 recommendations on ACE inhibitors and ARBs",
)
CKD_NOT_MONITORED = CaseFindingRule(
    "ckd-not-monitored",
    "CKD G3a-G5 coded with no eGFR in 12 months",
    f"{CEG}; NICE NG203 monitoring (eGFR at least yearly in CKD G3a-G5)",
)

EGFR_CKD_BELOW = 60.0
CHRONICITY_DAYS = 90
ACR_WITHOUT_DIABETES = 30.0
ACR_WITH_DIABETES = 3.0
ACR_HEAVY = 70.0
MONITORING_MONTHS = 12
_NOT_CURRENT = frozenset({"resolved", "inactive", "remission", "entered-in-error", "refuted"})
_RENIN_ANGIOTENSIN = frozenset({MedicineClass.ACEI.value, MedicineClass.ARB.value})


def current_conditions(conditions: Sequence[Condition]) -> list[Condition]:
    """Problems still current: a resolved or inactive code no longer says the practice knows of it today."""
    return [c for c in conditions if (c.clinical_status or "active").lower() not in _NOT_CURRENT]


def _below_60(point: EgfrPoint) -> bool:
    return highest_possible(point.value, point.comparator) < EGFR_CKD_BELOW


def _g_category(point: EgfrPoint) -> GCategory:
    """The G category the rule may rely on: the best the result allows, never a guess at a worse one."""
    return g_category(highest_possible(point.value, point.comparator))


def _egfr(point: EgfrPoint) -> str:
    return f"eGFR {shown(point.value, point.comparator)} on {point.date}"


def unrecognised_ckd(
    summary: NephrologySummary, record: ClinicalRecord, context: SummaryContext
) -> CaseFinding | None:
    """Two eGFRs below 60 at least 90 days apart, the latest below 60, and no CKD stage 3-5 coded.

    The pair is the latest result and the most recent result below 60 at least 90 days before it: any two such
    results with the latest below 60 make that pair too, so the two readings of the search agree.
    """
    series = summary.egfr.series
    if not summary.complete or not series or not _below_60(series[-1]):
        return None
    latest = series[-1]
    earlier = [p for p in series[:-1] if _below_60(p) and (latest.date - p.date).days >= CHRONICITY_DAYS]
    conditions = current_conditions(record.conditions)
    if not earlier or CKD_STAGE_3_TO_5.found_in(conditions):
        return None
    before = earlier[-1]
    category = _g_category(latest)
    other = CKD_OTHER.found_in(conditions)
    coded = (
        f"CKD coded only as {'; '.join(condition_label(c) for c in other)}, not stage 3-5"
        if other
        else "no CKD coded"
    )
    evidence = (
        f"{_egfr(latest)} and {shown(before.value, before.comparator)} on {before.date}, "
        f"{(latest.date - before.date).days} days apart, both below 60 "
        f"(latest {category.value}); {coded}"
    )
    return _finding(UNRECOGNISED_CKD, evidence, severity=G_ORDER.index(category) - 1)


def albuminuria_not_on_acei_arb(
    summary: NephrologySummary, record: ClinicalRecord, context: SummaryContext
) -> CaseFinding | None:
    """Latest ACR 30 mg/mmol or more, or 3 or more with diabetes coded, and no ACE inhibitor or ARB active."""
    latest = summary.acr.latest
    if not summary.complete or latest is None:
        return None
    least = lowest_possible(latest.value, latest.comparator)
    diabetes = DIABETES.found_in(current_conditions(record.conditions))
    reading = f"latest ACR {shown(latest.value, latest.comparator)} mg/mmol on {latest.date}"
    if least >= ACR_WITHOUT_DIABETES:
        why = f"{reading} is 30 or more"
    elif least >= ACR_WITH_DIABETES and diabetes:
        coded = ", ".join(condition_label(c) for c in diabetes)
        why = f"{reading} is 3 or more with diabetes coded ({coded})"
    else:
        return None
    blockers = [m for m in summary.medications if _RENIN_ANGIOTENSIN.intersection(m.classes)]
    if any(m.status == "active" for m in blockers):
        return None
    past = "; ".join(f"{m.name} ({m.status})" for m in blockers)
    evidence = f"{why}; no ACE inhibitor or ARB active" + (f", earlier: {past}" if past else "")
    severity = 3 if least >= ACR_HEAVY else 2 if least >= ACR_WITHOUT_DIABETES else 1
    return _finding(ALBUMINURIA_NOT_ON_ACEI_ARB, evidence, severity=severity)


def ckd_not_monitored(
    summary: NephrologySummary, record: ClinicalRecord, context: SummaryContext
) -> CaseFinding | None:
    """CKD G3a-G5 coded and no eGFR in the 12 months up to today.

    The one search measured from today rather than from the latest result, and its evidence names the day.
    An eGFR exactly 12 calendar months before today still counts as within the 12 months.
    """
    if not summary.complete:
        return None
    coded = CKD_STAGE_3_TO_5.found_in(current_conditions(record.conditions))
    latest = summary.egfr.latest
    since = shift_months(context.today, -MONITORING_MONTHS)
    if not coded or (latest is not None and latest.date >= since):
        return None
    ckd = "; ".join(condition_label(c) for c in coded)
    if latest is None:
        last, severity = "no eGFR recorded", 3
    else:
        months = _whole_months(latest.date, context.today)
        last = f"last eGFR {shown(latest.value, latest.comparator)} on {latest.date}, {months} months ago"
        severity = 2 if latest.date < shift_months(context.today, -2 * MONITORING_MONTHS) else 1
    evidence = f"CKD coded ({ckd}); {last}; none in the 12 months up to today ({context.today})"
    return _finding(CKD_NOT_MONITORED, evidence, severity=severity)


def _whole_months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if shift_months(start, months) <= end else months - 1


def _finding(rule: CaseFindingRule, evidence: str, *, severity: int) -> CaseFinding:
    return CaseFinding(
        code=rule.code, title=rule.title, evidence=evidence, severity=severity, coding_gap=rule.coding_gap
    )


NephrologySearch = Callable[[NephrologySummary, ClinicalRecord, SummaryContext], CaseFinding | None]

NEPHROLOGY_SEARCHES: tuple[tuple[CaseFindingRule, NephrologySearch], ...] = (
    (UNRECOGNISED_CKD, unrecognised_ckd),
    (ALBUMINURIA_NOT_ON_ACEI_ARB, albuminuria_not_on_acei_arb),
    (CKD_NOT_MONITORED, ckd_not_monitored),
)
"""Nephrology's own searches in the order a practice works through them: the coding gap first."""


def nephrology_case_findings(
    summary: NephrologySummary, record: ClinicalRecord, context: SummaryContext
) -> tuple[CaseFinding, ...]:
    """Every search that finds this patient: nephrology's own, in order."""
    found = (search(summary, record, context) for _, search in NEPHROLOGY_SEARCHES)
    return tuple(finding for finding in found if finding is not None)
