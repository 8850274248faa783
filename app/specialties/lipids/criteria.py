"""The lipid referral criteria, each ``met``, ``not-met`` or ``insufficient-data`` with its evidence.

Sources (docs/clinical/lipids.md gives each reading and boundary):
- NICE CG71 1.1.2 (2017): search records for total cholesterol > 7.5 under 30 and > 9.0 from 30;
- NICE CG71 1.1.6: refer for DNA testing with a DLCN score above 5; 1.1.8: homozygous FH with LDL > 13 in
  adults, > 11 in children and young people;
- NICE CG181, carried into NG238: specialist assessment for total cholesterol > 9.0 or non-HDL > 7.5 even
  without a family history; triglyceride 10-20 repeat fasting after 5 days and within 2 weeks; above 20,
  urgent specialist review unless due to alcohol or poor glycaemic control;
- NICE NG238 (2023): secondary prevention target LDL 2.0 mmol/L or less, or non-HDL 2.6 or less.

The cholesterol rules read the highest result in their age window, not the latest: FH is judged on untreated
cholesterol, and a statin lowers every later result. Absence is evidence only in a complete record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from app.specialties.lipids.dlcn import category, dlcn_score
from app.specialties.lipids.facts import LipidFacts
from app.specialties.lipids.profile import LipidResult, Origin, above, at_least, shown
from app.specialties.outcomes import CriterionOutcome, Status

Urgency = Literal["urgent"] | None

FH_SEARCH_AGE = 30
TC_UNDER_30 = 7.5
TC_FROM_30 = 9.0
NON_HDL_SPECIALIST = 7.5
HOMOZYGOUS_LDL_ADULT = 13.0
HOMOZYGOUS_LDL_CHILD = 11.0
ADULT_AGE = 18
TG_REPEAT = 10.0
TG_URGENT = 20.0
TG_REPEAT_WINDOW_DAYS = 14
LDL_TARGET = 2.0
NON_HDL_TARGET = 2.6
DLCN_REFERRAL = 5
INCOMPLETE = "the record is incomplete"


TITLES = {
    "tc-over-7.5-under-30": "Total cholesterol above 7.5 mmol/L under 30",
    "tc-over-9-age-30-plus": "Total cholesterol above 9.0 mmol/L at 30 or over",
    "non-hdl-over-7.5-or-tc-over-9": "Non-HDL cholesterol above 7.5 or total cholesterol above 9.0 mmol/L",
    "homozygous-fh-range": "LDL cholesterol in the homozygous FH range",
    "tg-10-to-20-repeat": "Triglyceride 10 to 20 mmol/L: repeat fasting within 2 weeks",
    "tg-over-20-urgent": "Triglyceride above 20 mmol/L: urgent specialist review",
    "secondary-prevention-above-target": "Cardiovascular disease with lipids above the NG238 target",
    "dlcn-over-5": "Dutch Lipid Clinic Network score above 5",
}


def _outcome(code: str, status: Status, evidence: str, urgency: Urgency = None) -> CriterionOutcome:
    return CriterionOutcome(code, TITLES[code], status, evidence, urgency)


def _reading(name: str, result: LipidResult, facts: LipidFacts | None = None) -> str:
    how = {Origin.COMPUTED: " (TC - HDL)", Origin.FRIEDEWALD: " (Friedewald)"}.get(result.origin, "")
    age = facts.age_on(result.day) if facts is not None else None
    at_age = f" at age {age}" if age is not None else ""
    return f"{name} {shown(result)} mmol/L{how} on {result.day}{at_age}"


def _absent(what: str, facts: LipidFacts) -> str:
    return f"no {what} recorded" if facts.record_complete else f"no {what} found, but {INCOMPLETE}"


def _highest_above(
    code: str,
    name: str,
    results: Sequence[LipidResult],
    threshold: float,
    facts: LipidFacts,
    window: str,
) -> CriterionOutcome:
    """Met when any result in the window is above the threshold; the evidence names the highest."""
    if not results:
        status: Status = "insufficient-data"
        return _outcome(code, status, _absent(f"{name} {window}".rstrip(), facts))
    hits = [r for r in results if above(r, threshold) is True]
    if hits:
        top = max(hits, key=lambda r: r.value)
        return _outcome(code, "met", f"{_reading(name, top, facts)} is above {threshold:.1f}")
    top = max(results, key=lambda r: r.value)
    reading = f"highest {_reading(name, top, facts)}"
    if any(above(r, threshold) is None for r in results):
        return _outcome(code, "insufficient-data", f"{reading}; a censored result leaves it open")
    if not facts.record_complete:
        evidence = f"{reading} is not above {threshold:.1f}, but {INCOMPLETE}"
        return _outcome(code, "insufficient-data", evidence)
    return _outcome(code, "not-met", f"{reading} is not above {threshold:.1f}")


def _by_age(facts: LipidFacts, keep: Callable[[int], bool]) -> list[LipidResult]:
    return [
        r for r in facts.lipids.total_cholesterol if (age := facts.age_on(r.day)) is not None and keep(age)
    ]


def tc_over_7_5_under_30(facts: LipidFacts) -> CriterionOutcome:
    """Total cholesterol above 7.5 mmol/L in a sample taken before 30 (NICE CG71 1.1.2)."""
    code = "tc-over-7.5-under-30"
    if facts.birth_date is None:
        return _outcome(code, "insufficient-data", "no date of birth, so the age at each sample is unknown")
    results = _by_age(facts, lambda age: age < FH_SEARCH_AGE)
    if not results and (facts.age_on(facts.today) or 0) >= FH_SEARCH_AGE and facts.record_complete:
        return _outcome(code, "not-met", "no total cholesterol recorded before age 30")
    return _highest_above(code, "total cholesterol", results, TC_UNDER_30, facts, "before age 30")


def tc_over_9_age_30_plus(facts: LipidFacts) -> CriterionOutcome:
    """Total cholesterol above 9.0 mmol/L in a sample taken at 30 or over (NICE CG71 1.1.2)."""
    code = "tc-over-9-age-30-plus"
    if facts.birth_date is None:
        return _outcome(code, "insufficient-data", "no date of birth, so the age at each sample is unknown")
    if (facts.age_on(facts.today) or 0) < FH_SEARCH_AGE:
        return _outcome(code, "not-met", "under 30: the CG71 threshold is 7.5 (tc-over-7.5-under-30)")
    results = _by_age(facts, lambda age: age >= FH_SEARCH_AGE)
    return _highest_above(code, "total cholesterol", results, TC_FROM_30, facts, "at age 30 or over")


def non_hdl_over_7_5_or_tc_over_9(facts: LipidFacts) -> CriterionOutcome:
    """Total cholesterol above 9.0 or non-HDL above 7.5 mmol/L: specialist assessment (CG181, NG238)."""
    code = "non-hdl-over-7.5-or-tc-over-9"
    total = _highest_above(code, "total cholesterol", facts.lipids.total_cholesterol, TC_FROM_30, facts, "")
    non_hdl = _highest_above(code, "non-HDL cholesterol", facts.lipids.non_hdl, NON_HDL_SPECIALIST, facts, "")
    both = f"{total.evidence}; {non_hdl.evidence}"
    if "met" in (total.status, non_hdl.status):
        found = [part.evidence for part in (total, non_hdl) if part.status == "met"]
        return _outcome(code, "met", "; ".join(found))
    if total.status == non_hdl.status == "not-met":
        return _outcome(code, "not-met", both)
    return _outcome(code, "insufficient-data", both)


def homozygous_fh_range(facts: LipidFacts) -> CriterionOutcome:
    """LDL above 13 mmol/L in an adult, above 11 under 18: refer to a specialist centre (NICE CG71 1.1.8)."""
    code = "homozygous-fh-range"
    series = facts.lipids.ldl
    if not series:
        return _outcome(code, "insufficient-data", _absent("LDL cholesterol", facts))
    met, open_ = [], []
    for result in series:
        age = facts.age_on(result.day)
        limits = (
            (HOMOZYGOUS_LDL_CHILD, HOMOZYGOUS_LDL_ADULT)
            if age is None
            else ((HOMOZYGOUS_LDL_CHILD,) * 2 if age < ADULT_AGE else (HOMOZYGOUS_LDL_ADULT,) * 2)
        )
        if above(result, limits[1]) is True:
            met.append((result, limits[1]))
        elif above(result, limits[0]) is not False:
            open_.append(result)
    if met:
        top, limit = max(met, key=lambda pair: pair[0].value)
        return _outcome(code, "met", f"{_reading('LDL', top, facts)} is above {limit:.0f}")
    top = max(series, key=lambda r: r.value)
    reading = f"highest {_reading('LDL', top, facts)}"
    if open_:
        return _outcome(code, "insufficient-data", f"{reading}; its age or a censored value leaves it open")
    return _outcome(code, "not-met", f"{reading} is below the homozygous range (13 adult, 11 under 18)")


def _latest_tg(facts: LipidFacts) -> LipidResult | None:
    return facts.lipids.triglycerides[-1] if facts.lipids.triglycerides else None


def _tg_causes(facts: LipidFacts) -> str:
    coded = [f.label for f in facts.diabetes + facts.excess_alcohol]
    return f"; coded secondary causes to review first: {', '.join(coded)}" if coded else ""


def tg_10_to_20_repeat(facts: LipidFacts) -> CriterionOutcome:
    """Latest triglyceride 10 to 20 mmol/L inclusive: repeat fasting after 5 days, within 2 weeks (CG181)."""
    code = "tg-10-to-20-repeat"
    latest = _latest_tg(facts)
    if latest is None:
        return _outcome(code, "insufficient-data", _absent("triglyceride", facts))
    reading = f"latest {_reading('triglyceride', latest)}"
    low, high = at_least(latest, TG_REPEAT), above(latest, TG_URGENT)
    if low is None or high is None:
        return _outcome(code, "insufficient-data", f"{reading}; a censored result leaves it open")
    if not low or high:
        return _outcome(code, "not-met", f"{reading} is not between 10 and 20")
    earlier = [
        r
        for r in facts.lipids.triglycerides[:-1]
        if 0 < (latest.day - r.day).days <= TG_REPEAT_WINDOW_DAYS and at_least(r, TG_REPEAT)
    ]
    repeat = (
        f"; a repeat of {shown(earlier[-1])} on {earlier[-1].day}: still 10 or more, seek specialist advice"
        if earlier
        else ": repeat fasting after 5 days and within 2 weeks"
    )
    return _outcome(code, "met", f"{reading} is between 10 and 20{repeat}{_tg_causes(facts)}")


def tg_over_20_urgent(facts: LipidFacts) -> CriterionOutcome:
    """Latest triglyceride above 20 mmol/L: urgent review unless alcohol or poor glycaemic control (CG181)."""
    code = "tg-over-20-urgent"
    latest = _latest_tg(facts)
    if latest is None:
        return _outcome(code, "insufficient-data", _absent("triglyceride", facts))
    reading = f"latest {_reading('triglyceride', latest)}"
    verdict = above(latest, TG_URGENT)
    if verdict is None:
        return _outcome(code, "insufficient-data", f"{reading}; a censored result leaves it open")
    if not verdict:
        return _outcome(code, "not-met", f"{reading} is not above 20")
    return _outcome(code, "met", f"{reading} is above 20{_tg_causes(facts)}", "urgent")


def secondary_prevention_above_target(facts: LipidFacts) -> CriterionOutcome:
    """Established CVD with the latest LDL above 2.0 mmol/L, or non-HDL above 2.6 without an LDL (NG238).

    NICE set the target on LDL and named the non-HDL target "for use when LDL cholesterol levels have not
    been requested or calculated" (gponline, NG238 news; BMJ 2024;384:q637): the latest sample is judged on
    its LDL, reported or Friedewald, and on its non-HDL only when it has no LDL.
    """
    code = "secondary-prevention-above-target"
    cvd = facts.cardiovascular_disease
    if not cvd:
        status: Status = "not-met" if facts.record_complete else "insufficient-data"
        return _outcome(code, status, _absent("cardiovascular disease", facts).replace("recorded", "coded"))
    disease = f"{cvd[0].label} coded"
    ldl, non_hdl = facts.lipids.ldl, facts.lipids.non_hdl
    latest_day = max((r.day for r in ldl + non_hdl), default=None)
    if latest_day is None:
        return _outcome(code, "insufficient-data", f"{disease}; no LDL or non-HDL on record")
    same_day_ldl = [r for r in ldl if r.day == latest_day]
    name, target = ("LDL", LDL_TARGET) if same_day_ldl else ("non-HDL", NON_HDL_TARGET)
    result = same_day_ldl[0] if same_day_ldl else next(r for r in non_hdl if r.day == latest_day)
    treated = [m.name for m in facts.lipid_lowering if m.active]
    treatment = f"on {', '.join(treated)}" if treated else "no lipid-lowering medicine active"
    evidence = f"{disease}; {treatment}; latest {_reading(name, result)}"
    verdict = above(result, target)
    if verdict is None:
        return _outcome(code, "insufficient-data", f"{evidence}; a censored result leaves it open")
    if verdict:
        return _outcome(code, "met", f"{evidence} is above the {target:.1f} target")
    return _outcome(code, "not-met", f"{evidence} is at or below the {target:.1f} target")


def dlcn_over_5(facts: LipidFacts) -> CriterionOutcome:
    """DLCN score above 5: refer for DNA testing (NICE CG71 1.1.6), scored from what is coded."""
    code = "dlcn-over-5"
    score = dlcn_score(facts)
    known = "; ".join(f"{g.group} {g.low} ({g.reason})" for g in score.groups if g.known)
    unknown = "; ".join(f"{g.group} {g.low}-{g.high} ({g.reason})" for g in score.groups if not g.known)
    parts = f"scored from what is coded: {known or 'nothing'}"
    if unknown:
        parts += f"; unknown, as the record cannot hold them: {unknown}"
    if score.low > DLCN_REFERRAL:
        return _outcome(code, "met", f"DLCN at least {score.low} ({category(score.low)} FH); {parts}")
    if score.high <= DLCN_REFERRAL:
        return _outcome(code, "not-met", f"DLCN at most {score.high} ({category(score.high)} FH); {parts}")
    return _outcome(code, "insufficient-data", f"DLCN between {score.low} and {score.high}; {parts}")


def referral_criteria(facts: LipidFacts) -> list[CriterionOutcome]:
    """Every lipid criterion, in the order docs/clinical/lipids.md lists them."""
    return [
        tc_over_7_5_under_30(facts),
        tc_over_9_age_30_plus(facts),
        non_hdl_over_7_5_or_tc_over_9(facts),
        homozygous_fh_range(facts),
        tg_10_to_20_repeat(facts),
        tg_over_20_urgent(facts),
        secondary_prevention_above_target(facts),
        dlcn_over_5(facts),
    ]


def cg71_search_matches(facts: LipidFacts) -> bool:
    """The NICE CG71 1.1.2 record search as a predicate: any total cholesterol on record above 7.5 before 30
    or above 9.0 from 30, at the age of the sample (treatment lowers the later ones); the same thresholds
    as the two CG71 criteria, so a search and a summary never disagree."""
    for result in facts.lipids.total_cholesterol:
        age = facts.age_on(result.day)
        if age is not None and above(result, TC_UNDER_30 if age < FH_SEARCH_AGE else TC_FROM_30):
            return True
    return False
