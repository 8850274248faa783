"""Heart-failure rules over a small facts type; thresholds, wording and actions are data (``rules.json``).

Bands compare a result in its reported unit with NICE's figures for it: docs/clinical/heart-failure.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app.specialties.base import FollowUpActionDefinition
from app.specialties.outcomes import Status, lowest_possible, months_before, none_found, possible_range

RULES = json.loads((Path(__file__).parent / "rules.json").read_text())
BANDS: dict[str, dict[str, str]] = RULES["bands"]
SOURCE: str = RULES["source"]
# Actions a result shows done: action code → analyte groups, each group satisfied by any one of its analytes.
SATISFIED_BY: dict[str, list[list[str]]] = RULES["follow_up_satisfied_by"]
FOLLOW_UP_ACTIONS = tuple(
    FollowUpActionDefinition(
        code, title, due_days, satisfied_by=tuple(frozenset(group) for group in SATISFIED_BY.get(code, ()))
    )
    for code, title, due_days in RULES["follow_up_actions"]
)


@dataclass(frozen=True, slots=True)
class Reading:
    day: date
    value: float
    unit: str
    comparator: str | None = None


@dataclass(frozen=True, slots=True)
class Medicine:
    name: str
    classes: frozenset[str]
    last_issued: date | None
    active: bool = True


@dataclass(frozen=True, slots=True)
class HeartFailureFacts:
    """``conditions``: each coded condition value set's name and its latest date (None when undated)."""

    today: date
    ntprobnp: tuple[Reading, ...] = ()
    bnp: tuple[Reading, ...] = ()
    latest_bmi: tuple[date, float] | None = None
    medicines: tuple[Medicine, ...] = ()
    conditions: Mapping[str, date | None] = field(default_factory=dict)
    last_fbc: date | None = None
    last_ue: date | None = None
    age: int | None = None
    female: bool = False
    record_complete: bool = True


@dataclass(frozen=True, slots=True)
class CriterionResult:
    code: str
    status: Status
    evidence: str
    urgency: str | None = None


def reading(day: date, value: float, unit: str | None, comparator: str | None = None) -> Reading | None:
    """The result in its reported unit (ng/L, pg/mL as ng/L, pmol/L), or None when it has no known unit."""
    known = RULES["units"].get((unit or "").strip().lower())
    return Reading(day, value, known, comparator) if known else None


def in_ng_per_l(result: Reading, peptide: str = "ntprobnp") -> float:
    """pmol/L times the molar mass in kg/mol (NT-proBNP 8.457, BNP 3.464) is ng/L; pg/mL is ng/L."""
    return result.value * (RULES["ng_per_pmol"][peptide] if result.unit == "pmol/L" else 1.0)


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def shown(result: Reading, peptide: str = "ntprobnp") -> str:
    ng = "" if result.unit == "ng/L" else f" ({_num(in_ng_per_l(result, peptide))} ng/L)"
    return f"{result.comparator or ''}{_num(result.value)} {result.unit}{ng} on {result.day}"


def band(value: float, unit: str, peptide: str = "ntprobnp") -> str:
    """NICE NG106 1.2.4: "above 2000 ng/litre (236 pmol/litre)" is two weeks, so 2000 itself is six weeks."""
    low, high = RULES["limits"][peptide][unit]
    return "two-week" if value > high else "six-week" if value >= low else "under-400"


def reading_band(result: Reading, peptide: str = "ntprobnp") -> str | None:
    """The band, or None when a comparator leaves it open (">1000" may be six weeks or two)."""
    low, high = (
        band(value, result.unit, peptide) for value in possible_range(result.value, result.comparator)
    )
    return low if low == high else None


def _absent(what: str, facts: HeartFailureFacts) -> str:
    return none_found(what, complete=facts.record_complete)


def _bnp_note(facts: HeartFailureFacts) -> str:
    if not facts.bnp:
        return ""
    found = RULES["bnp_words"].get(reading_band(facts.bnp[-1], "bnp") or "", "in no one band of")
    return f"; legacy BNP {shown(facts.bnp[-1], 'bnp')} is {found} ng/L (NICE CG108): measure NT-proBNP"


def confounders(facts: HeartFailureFacts) -> list[str]:
    """What on record lowers natriuretic peptides (NICE NG106 1.2.5): obesity and five medicine classes."""
    found = ["obesity coded"] if "obesity" in facts.conditions else []
    if facts.latest_bmi and facts.latest_bmi[1] >= 30:
        found.append(f"BMI {_num(facts.latest_bmi[1])} on {facts.latest_bmi[0]}")
    active = [m for m in facts.medicines if m.active]
    return found + [
        f"{m.name} ({name})" for m in active for c, name in RULES["confounders"].items() if c in m.classes
    ]


def ntprobnp_criteria(facts: HeartFailureFacts) -> list[CriterionResult]:
    """The three NICE bands of the latest NT-proBNP, for heart failure suspected but not yet coded."""
    codes = [b["criterion"] for b in BANDS.values()]
    if not facts.ntprobnp:
        return [
            CriterionResult(c, "insufficient-data", _absent("NT-proBNP", facts) + _bnp_note(facts))
            for c in codes
        ]
    found, text = reading_band(facts.ntprobnp[-1]), f"latest NT-proBNP {shown(facts.ntprobnp[-1])}"
    if "heart-failure" in facts.conditions:
        return [CriterionResult(c, "not-met", f"{text}; heart failure is already coded") for c in codes]
    if found is None:
        return [CriterionResult(c, "insufficient-data", f"{text} does not show its NICE band") for c in codes]
    text += f" is {BANDS[found]['words']} (NICE NG106 1.2.4)"
    if found == "under-400":
        text += (
            "; lowered by: " + "; ".join(confounders(facts))
            if confounders(facts)
            else "; no confounder on record"
        )
    met = {found: CriterionResult(BANDS[found]["criterion"], "met", text, BANDS[found]["urgency"])}
    return [met.get(key, CriterionResult(b["criterion"], "not-met", text)) for key, b in BANDS.items()]


def heart_failure_medicines(facts: HeartFailureFacts) -> list[str]:
    """Heart-failure medicines issued in 3 months that no coded indication explains (NCL ICB_CF_HF_61)."""
    young_woman = facts.female and facts.age is not None and facts.age < 40
    explained = {c for c, other in RULES["hf_medicines"].items() if other in facts.conditions}
    explained -= set() if young_woman else {"spironolactone"}
    since, counted = months_before(facts.today, 3), set(RULES["hf_medicines"]) - explained
    recent = [m for m in facts.medicines if m.last_issued and m.last_issued >= since and counted & m.classes]
    return [f"{m.name} (issued {m.last_issued})" for m in recent]


def _excluded(facts: HeartFailureFacts) -> date | None:
    excluded = facts.conditions.get("heart-failure-excluded")
    return excluded if excluded and excluded >= months_before(facts.today, 36) else None


def hf_drugs_without_diagnosis(facts: HeartFailureFacts) -> CriterionResult:
    code = "hf-drugs-without-diagnosis"
    if "heart-failure" in facts.conditions:
        return CriterionResult(code, "not-met", "heart failure is coded")
    if excluded := _excluded(facts):
        return CriterionResult(code, "not-met", f"heart failure excluded on {excluded}, within 3 years")
    if found := heart_failure_medicines(facts):
        return CriterionResult(code, "met", "no heart failure coded; issued in 3 months: " + "; ".join(found))
    status: Status = "not-met" if facts.record_complete else "insufficient-data"
    return CriterionResult(code, status, _absent("heart-failure medicine issued in the last 3 months", facts))


def hfref_gdmt_gaps(facts: HeartFailureFacts) -> CriterionResult:
    """HFrEF coded without one of NICE NG106's four medicine classes (1.4.1-1.4.4, 2025)."""
    code, complete = "hfref-gdmt-gaps", facts.record_complete
    if "hfref" not in facts.conditions:
        return CriterionResult(code, "not-met" if complete else "insufficient-data", _absent("HFrEF", facts))
    active = {c for m in facts.medicines if m.active for c in m.classes}
    gaps = [pillar for pillar, classes in RULES["pillars"].items() if not active.intersection(classes)]
    if not gaps:
        return CriterionResult(code, "not-met", "HFrEF coded; on all four NICE NG106 medicine classes")
    evidence = f"HFrEF coded; not on {', '.join(gaps)}: check the record for a reason"
    return CriterionResult(code, "met" if complete else "insufficient-data", evidence)


def referral_criteria(facts: HeartFailureFacts) -> list[CriterionResult]:
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
    above = (
        latest
        and lowest_possible(latest.value, latest.comparator) > RULES["limits"]["ntprobnp"][latest.unit][0]
    )
    return latest if above else None


def case_finding(facts: HeartFailureFacts) -> bool:
    """NT-proBNP above 400, or heart-failure medicines, with no heart-failure diagnosis (NCL ICB_CF_HF_61)."""
    if "heart-failure" in facts.conditions or _excluded(facts):
        return False
    return latest_ntprobnp_above_400(facts) is not None or bool(heart_failure_medicines(facts))
