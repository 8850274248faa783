"""Diabetes case-finding: an HbA1c in the diabetes range with no diabetes on the register, a coding gap.

The search reads the facts the summary reads, through the criteria's own predicate, so a finding and the
summary never disagree. It says nothing about completeness, as the predicate does not: it lists a candidate
for a person to check, and its evidence says when the record was incomplete.
"""

from __future__ import annotations

from app.specialties.base import CaseFinding, CaseFindingRule
from app.specialties.diabetes.criteria import (
    INCOMPLETE,
    INTENSIFY,
    QOF_CEILING,
    hba1c_in_diabetes_range_without_diabetes_coded,
)
from app.specialties.diabetes.facts import DiabetesFacts
from app.specialties.diabetes.glycaemia import glycaemic_picture

HBA1C_WITHOUT_DIABETES_CODED = CaseFindingRule(
    "hba1c-diabetes-range-not-coded",
    "HbA1c 48 mmol/mol or more in 12 months with no diabetes coded",
    "WHO 2011 (HbA1c in diagnosis), as criterion undiagnosed-diabetes-range; QOF diabetes register (DM_COD)",
    coding_gap=True,
)


def hba1c_without_diabetes_coded(facts: DiabetesFacts) -> CaseFinding | None:
    """The latest HbA1c in 12 months is 48 or more and no diabetes is coded; worse the higher it is."""
    if not hba1c_in_diabetes_range_without_diabetes_coded(facts):
        return None
    picture = glycaemic_picture(facts)
    latest = picture.latest_hba1c
    assert latest is not None
    incomplete = f", but {INCOMPLETE}" if not picture.record_complete else ""
    evidence = (
        f"latest HbA1c {latest.shown} on {latest.day} is in the diabetes range (48 or more); "
        f"no diabetes code on record{incomplete}"
    )
    # Severity follows the criteria's own steps: NG28's "intensify" at 58 and QOF's ceiling above 75.
    severity = 3 if latest.above(QOF_CEILING) else 2 if latest.at_least(INTENSIFY) else 1
    rule = HBA1C_WITHOUT_DIABETES_CODED
    return CaseFinding(rule.code, rule.title, evidence, severity=severity, coding_gap=rule.coding_gap)
