"""Heart-failure rules over a small facts type; thresholds, units, wording and actions are ``rules.json``.

Bands compare a result in its reported unit with NICE's figures for it: docs/clinical/heart-failure.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.specialties.criterion_shapes import (
    band_criteria,
    condition_without_classes,
    medicines_without_diagnosis,
)
from app.specialties.folder import Medicine as Medicine  # the facts' medicines, read by tests and callers
from app.specialties.folder import PatientFacts, SpecialtyFolder
from app.specialties.outcomes import CriterionOutcome, lowest_possible, months_before, none_found
from app.specialties.readings import Reading, figure

FOLDER = SpecialtyFolder.beside(__file__)
RULES, PEPTIDES = FOLDER.rules, FOLDER.reported
NTPROBNP, BANDS, CRITERIA = PEPTIDES["ntprobnp"], RULES["band_criteria"]["bands"], RULES["criteria"]
# A result in ng/L, pg/mL (as ng/L) or pmol/L, never guessed; NICE NG106 1.2.4's "above 2000 ng/litre
# (236 pmol/litre)" is two weeks, so 2000 itself is six weeks (``limits`` in rules.json).
reading, band, reading_band, shown = NTPROBNP.reading, NTPROBNP.band, NTPROBNP.reading_band, NTPROBNP.shown


@dataclass(frozen=True, slots=True)
class HeartFailureFacts(PatientFacts):
    ntprobnp: tuple[Reading, ...] = ()
    bnp: tuple[Reading, ...] = ()
    latest_bmi: tuple[date, float] | None = None
    last_fbc: date | None = None
    last_ue: date | None = None


def in_ng_per_l(result: Reading, peptide: str = "ntprobnp") -> float:
    """pmol/L times the molar mass in kg/mol (NT-proBNP 8.457, BNP 3.464) is ng/L; pg/mL is ng/L."""
    return PEPTIDES[peptide].in_canonical(result)


def confounders(facts: HeartFailureFacts) -> list[str]:
    """What on record lowers natriuretic peptides (NICE NG106 1.2.5): obesity and five medicine classes."""
    found = ["obesity coded"] if "obesity" in facts.conditions else []
    if facts.latest_bmi and facts.latest_bmi[1] >= 30:
        found.append(f"BMI {figure(facts.latest_bmi[1])} on {facts.latest_bmi[0]}")
    active = [m for m in facts.medicines if m.active]
    return found + [
        f"{m.name} ({w})" for m in active for c, w in RULES["confounders"].items() if c in m.classes
    ]


def _legacy_bnp(facts: HeartFailureFacts) -> str:
    """A legacy BNP is kept apart (NICE CG108): named beside a missing NT-proBNP, which it asks for."""
    if not facts.bnp:
        return ""
    bnp, latest = PEPTIDES["bnp"], facts.bnp[-1]
    found = bnp.reading_band(latest) or "in no one band of"
    return f"; legacy BNP {bnp.shown(latest)} is {found} ng/L (NICE CG108): measure NT-proBNP"


def ntprobnp_criteria(facts: HeartFailureFacts) -> list[CriterionOutcome]:
    """The three NICE bands of the latest NT-proBNP, for heart failure suspected but not yet coded."""
    found = confounders(facts)
    lowered = "; lowered by: " + "; ".join(found) if found else "; no confounder on record"
    return band_criteria(
        RULES["band_criteria"],
        NTPROBNP,
        facts.ntprobnp[-1] if facts.ntprobnp else None,
        absent=none_found("NT-proBNP", complete=facts.record_complete) + _legacy_bnp(facts),
        settled="heart failure is already coded" if "heart-failure" in facts.conditions else None,
        notes={"under-400": lowered},
    )


def heart_failure_medicines(facts: HeartFailureFacts) -> list[str]:
    """Heart-failure medicines issued in 3 months that no coded indication explains (NCL ICB_CF_HF_61);
    hirsutism explains spironolactone only in a woman under 40."""
    young_woman = facts.female and facts.age is not None and facts.age < 40
    return facts.issued_without_reason(
        {**RULES["hf_medicines"], **({} if young_woman else {"spironolactone": None})}, 3
    )


def hf_drugs_without_diagnosis(facts: HeartFailureFacts) -> CriterionOutcome:
    return medicines_without_diagnosis(
        CRITERIA["hf-drugs-without-diagnosis"],
        heart_failure_medicines(facts),
        coded="heart-failure" in facts.conditions,
        excluded=facts.coded_within("heart-failure-excluded", 36),
        complete=facts.record_complete,
    )


def hfref_gdmt_gaps(facts: HeartFailureFacts) -> CriterionOutcome:
    """HFrEF coded without one of NICE NG106's four medicine classes (1.4.1-1.4.4, 2025)."""
    coded, complete = "hfref" in facts.conditions, facts.record_complete
    return condition_without_classes(
        CRITERIA["hfref-gdmt-gaps"], facts.active_classes(), coded=coded, complete=complete
    )


def referral_criteria(facts: HeartFailureFacts) -> list[CriterionOutcome]:
    return [*ntprobnp_criteria(facts), hf_drugs_without_diagnosis(facts), hfref_gdmt_gaps(facts)]


def outcome(facts: HeartFailureFacts) -> str:
    """The pathway the record points to: known-hf, a NICE band's outcome, or insufficient-data."""
    found = reading_band(facts.ntprobnp[-1]) if facts.ntprobnp else None
    known = "known-hf" if "heart-failure" in facts.conditions else None
    return known or (BANDS[found]["outcome"] if found else "insufficient-data")


def missing_attachments(facts: HeartFailureFacts) -> list[str]:
    """On a 2- or 6-week outcome, the referral's FBC and U&E if none in 6 months (Devon pathways)."""
    if outcome(facts) not in ("urgent-2-weeks", "routine-6-weeks"):
        return []
    since, tests = months_before(facts.today, 6), (("FBC", facts.last_fbc), ("U&E", facts.last_ue))
    return [
        f"no {name} in the last 6 months: the referral needs one"
        for name, day in tests
        if not day or day < since
    ]


def latest_ntprobnp_above_400(facts: HeartFailureFacts) -> Reading | None:
    """The latest NT-proBNP when it is certainly above 400 ng/L (or its pmol/L figure), else None."""
    latest = facts.ntprobnp[-1] if facts.ntprobnp else None
    limits = NTPROBNP.limits or {}
    above = latest and lowest_possible(latest.value, latest.comparator) > limits[latest.unit][0].value
    return latest if above else None


def case_finding(facts: HeartFailureFacts) -> bool:
    """NT-proBNP above 400, or heart-failure medicines, with no heart-failure diagnosis (NCL ICB_CF_HF_61)."""
    if "heart-failure" in facts.conditions or facts.coded_within("heart-failure-excluded", 36):
        return False
    return latest_ntprobnp_above_400(facts) is not None or bool(heart_failure_medicines(facts))
