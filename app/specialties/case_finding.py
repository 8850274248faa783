"""Case-finding helpers every specialty shares: a met referral criterion is itself a finding."""

from __future__ import annotations

from collections.abc import Iterable

from app.specialties.base import CaseFinding, CaseFindingRule, CriterionDefinition
from schemas.api.summary import CriterionStatus, SpecialtySummary


def criteria_rules(criteria: Iterable[CriterionDefinition]) -> tuple[CaseFindingRule, ...]:
    """The referral criteria as case-finding rules, so a specialty declares each once."""
    return tuple(CaseFindingRule(c.code, c.title, c.source) for c in criteria)


def met_referral_criteria(summary: SpecialtySummary) -> tuple[CaseFinding, ...]:
    """Every referral criterion the summary found met, with the summary's own evidence."""
    return tuple(
        CaseFinding(code=c.code, title=c.title, evidence=c.evidence)
        for c in summary.referral_criteria
        if c.status is CriterionStatus.MET
    )
