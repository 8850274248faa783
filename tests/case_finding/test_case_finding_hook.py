"""Every registered specialty offers case-finding rules, and its met referral criteria are findings with the
summary's own evidence."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.specialties.base import SummaryContext
from app.specialties.registry import SPECIALTIES
from schemas.api.summary import CriterionStatus
from tests.specialties.nephrology.factories import acr, egfr, record

CONTEXT = SummaryContext(today=date(2024, 9, 1), generated_at=datetime(2024, 9, 1, tzinfo=UTC))


def test_every_met_referral_criterion_is_a_finding_with_the_summarys_evidence() -> None:
    nephrology = SPECIALTIES["nephrology"]
    source = record(egfr("2024-01-01", 40), egfr("2024-08-01", 22), acr("2024-08-01", 80))
    summary = nephrology.build_summary(source, CONTEXT)
    met = {c.code: c.evidence for c in summary.referral_criteria if c.status is CriterionStatus.MET}

    findings = nephrology.case_findings(summary, source, CONTEXT)

    assert met
    assert {f.code: f.evidence for f in findings if f.code in met} == met


def test_a_patient_meeting_no_rule_has_no_findings() -> None:
    nephrology = SPECIALTIES["nephrology"]
    source = record(egfr("2024-01-01", 95), egfr("2024-08-01", 94), acr("2024-08-01", 1))

    assert nephrology.case_findings(nephrology.build_summary(source, CONTEXT), source, CONTEXT) == ()


def test_every_finding_code_is_a_declared_rule() -> None:
    for specialty in SPECIALTIES.values():
        declared = {rule.code for rule in specialty.case_finding_rules}
        assert {c.code for c in specialty.referral_criteria} <= declared
