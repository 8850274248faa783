"""What the consultant must know about the data behind the summary, and the medicine prompts.

Sources: CLINICAL.md (withheld and implausible items are counted and reported; missing data gives a warning,
never a guessed number; CKD needs the abnormality for more than 3 months, KDIGO 2012). Stale data is no
eGFR, urine ACR or blood pressure in the 15 months before today: NICE NG203 monitors eGFR and ACR at least
yearly from CKD G3a, and three months allow for recall. These monitoring gaps are the only rules measured
from today; every other window is anchored to the patient's results.

"Not recorded" is said only of a complete record: when part of it could not be read, the warning says what
was not found and that the record is incomplete, and the record's own warnings name the part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.specialties.nephrology.dates import shift_months
from app.specialties.nephrology.egfr import EgfrResult
from app.specialties.nephrology.kdigo import a_category_of, g_category_of
from app.specialties.nephrology.kfre import KfreAssessment
from app.specialties.nephrology.medicines import ClassifiedMedication, metformin_prompt, sick_day_prompt
from app.specialties.nephrology.results import DayValue, highest_possible, shown
from app.specialties.outcomes import none_found
from schemas.clinical import ClinicalRecord, Measurement

CKD_EGFR = 60.0
CHRONICITY_DAYS = 90
STALE_AFTER_MONTHS = 15


@dataclass(frozen=True, slots=True)
class SummaryFacts:
    """The parts of a built summary that warnings are drawn from."""

    egfr: Sequence[EgfrResult]
    daily_egfr: Sequence[DayValue]
    egfr_warnings: Sequence[str]
    acr: Sequence[Measurement]
    kfre: KfreAssessment
    medicines: Sequence[ClassifiedMedication]


def withheld_warning(count: int) -> str | None:
    """CLINICAL.md: confidential items are withheld by the practice, and the summary says how many."""
    if not count:
        return None
    return f"{count} confidential {'item' if count == 1 else 'items'} withheld by the practice"


def implausible_warning(count: int) -> str | None:
    if not count:
        return None
    return f"{count} implausible {'result' if count == 1 else 'results'} dropped from this summary"


def short_history_warning(daily_egfr: Sequence[DayValue]) -> str | None:
    """KDIGO: CKD needs a reduced eGFR for more than 3 months (CLINICAL.md, "KDIGO categories").

    CLINICAL.md's rule as written, which is the product's choice: when the latest eGFR is below 60, warn if
    the latest two results below 60 are less than 90 days apart, or there is only one.
    """
    if not daily_egfr or highest_possible(daily_egfr[-1].value, daily_egfr[-1].comparator) >= CKD_EGFR:
        return None
    reduced = [p.day for p in daily_egfr if highest_possible(p.value, p.comparator) < CKD_EGFR]
    why = "CKD needs a reduced eGFR for more than 3 months"
    if len(reduced) == 1:
        return f"eGFR below 60 on one day only ({reduced[-1]}): {why}"
    earlier, latest = reduced[-2], reduced[-1]
    if (latest - earlier).days < CHRONICITY_DAYS:
        return (
            f"the latest two eGFR results below 60 ({earlier}, {latest}) are less than 90 days apart: {why}"
        )
    return None


def stale_warning(what: str, latest: date | None, *, today: date) -> str | None:
    """A monitoring gap, measured from today: the latest result is more than 15 months old."""
    if latest is not None and latest < shift_months(today, -STALE_AFTER_MONTHS):
        return f"no {what} in the last {STALE_AFTER_MONTHS} months (latest {latest})"
    return None


def stale_egfr_warning(egfr: Sequence[EgfrResult], *, today: date, complete: bool = True) -> str | None:
    if not egfr:
        return none_found("eGFR or creatinine", complete=complete)
    return stale_warning("eGFR", egfr[-1].day, today=today)


def missing_acr_warning(acr: Sequence[Measurement], *, complete: bool = True) -> str | None:
    if acr:
        return None
    absent = none_found("urine ACR", complete=complete)
    return f"{absent}: the A category, the KDIGO risk and the KFRE need one"


def category_warnings(egfr: Sequence[EgfrResult], acr: Sequence[Measurement]) -> list[str]:
    """A censored latest result that spans two categories leaves the category empty; say why."""
    warnings = []
    if egfr and g_category_of(egfr[-1].value, egfr[-1].comparator) is None:
        latest = egfr[-1]
        warnings.append(
            f"latest eGFR {shown(latest.value, latest.comparator)} on {latest.day} fixes no G category"
        )
    if acr and a_category_of(acr[-1].value, acr[-1].comparator) is None:
        last = acr[-1]
        warnings.append(
            f"latest ACR {shown(last.value, last.comparator)} on {last.taken_at.date()} fixes no A category"
        )
    return warnings


def summary_warnings(record: ClinicalRecord, facts: SummaryFacts, *, today: date) -> list[str]:
    """The record's own warnings, then the summary's, each once, in a stable order."""
    latest = facts.egfr[-1] if facts.egfr else None
    latest_bp = record.blood_pressures[-1] if record.blood_pressures else None
    candidates = [
        *record.warnings,
        withheld_warning(record.withheld_confidential),
        implausible_warning(record.dropped_implausible),
        *facts.egfr_warnings,
        stale_egfr_warning(facts.egfr, today=today, complete=record.complete),
        missing_acr_warning(facts.acr, complete=record.complete),
        stale_warning("urine ACR", facts.acr[-1].taken_at.date() if facts.acr else None, today=today),
        stale_warning("blood pressure", latest_bp.taken_at.date() if latest_bp else None, today=today),
        short_history_warning(facts.daily_egfr),
        *category_warnings(facts.egfr, facts.acr),
        facts.kfre.caveat,
        None if latest is None else metformin_prompt(facts.medicines, egfr=latest.value, day=latest.day),
        sick_day_prompt(facts.medicines),
    ]
    return list(dict.fromkeys(warning for warning in candidates if warning is not None))
