"""Lipid case-finding: the NICE CG71 1.1.2 record search for familial hypercholesterolaemia, per patient.

The search reads the facts the summary reads, through the same predicate, so a finding and the summary's
``cg71_search_match`` never disagree. Its evidence names the highest matching total cholesterol, the day and
the age then: the age decides the threshold, and treatment lowers every later result.
"""

from __future__ import annotations

from app.specialties.base import CaseFinding, CaseFindingRule
from app.specialties.lipids.criteria import FH_SEARCH_AGE, TC_FROM_30, TC_UNDER_30, cg71_search_matches
from app.specialties.lipids.facts import LipidFacts
from app.specialties.lipids.profile import LipidResult, above, shown

CG71_RECORD_SEARCH = CaseFindingRule(
    "cg71-fh-record-search",
    "Total cholesterol above 7.5 mmol/L under 30 or above 9.0 mmol/L from 30",
    "NICE CG71 (2017), 1.1.2: systematic search of primary care records for familial hypercholesterolaemia",
)


def _threshold(age: int) -> float:
    return TC_UNDER_30 if age < FH_SEARCH_AGE else TC_FROM_30


def _matches(facts: LipidFacts) -> list[tuple[LipidResult, int]]:
    return [
        (result, age)
        for result in facts.lipids.total_cholesterol
        if (age := facts.age_on(result.day)) is not None and above(result, _threshold(age))
    ]


def cg71_record_search(facts: LipidFacts) -> CaseFinding | None:
    """The CG71 search's finding; more severe when the cholesterol is above 9.0, at any age."""
    if not cg71_search_matches(facts):
        return None
    top, age = max(_matches(facts), key=lambda match: match[0].value)
    evidence = (
        f"highest matching total cholesterol {shown(top)} mmol/L on {top.day} at age {age} "
        f"is above {_threshold(age):.1f}, the CG71 threshold {'under' if age < FH_SEARCH_AGE else 'from'} 30"
    )
    # Above 9.0 warrants specialist assessment whatever the family history (NICE CG181, carried into NG238).
    severity = 2 if above(top, TC_FROM_30) else 1
    rule = CG71_RECORD_SEARCH
    return CaseFinding(rule.code, rule.title, evidence, severity=severity, coding_gap=rule.coding_gap)
