"""Heart-failure case-finding (NCL ICB_CF_HF_61): NT-proBNP above 400 or heart-failure medicines with no
diagnosis, over the demo practice and at its boundary, and met criteria as findings with the summary's
evidence."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from adapters.demo import DEMO_PATIENTS, DemoSource
from app.records.service import record_query
from app.specialties.base import CaseFinding, SummaryContext
from app.specialties.heart_failure.case_finding import suspected_heart_failure
from app.specialties.heart_failure.plugin import HEART_FAILURE, HeartFailureSummary
from app.specialties.heart_failure.rules import HeartFailureFacts, Medicine, Reading
from schemas.clinical import ClinicalRecord
from tests.support.catalogue import CATALOGUE, normalised

TODAY = date(2026, 11, 22)
CONTEXT = SummaryContext(today=TODAY, generated_at=datetime(2026, 11, 22, 9, tzinfo=UTC))
RULE = "suspected-hf-not-coded"
CRITERIA = frozenset(c.code for c in HEART_FAILURE.referral_criteria)
FOUND_STORIES = {
    "NT-proBNP rising to 2600 ng/L: two-week pathway": 3,
    "US-coded twin: NT-proBNP 2600 pg/mL, two-week pathway": 3,
    "NT-proBNP exactly 2000 ng/L: six weeks, not two": 2,
    "NT-proBNP 236 pmol/L, NICE's figure for 2000 ng/L: six weeks": 2,
    "NT-proBNP 900 ng/L with no FBC or U&E": 2,
    "Sacubitril/valsartan issued with no heart-failure diagnosis": 1,
}

Findings = dict[str, tuple[HeartFailureSummary, tuple[CaseFinding, ...]]]


@pytest.fixture(scope="module")
def demo_findings() -> Findings:
    demo = DemoSource(today=TODAY)
    query = record_query(HEART_FAILURE.needs, CATALOGUE, TODAY, history_years=20)

    async def fetch_all() -> dict[str, ClinicalRecord]:
        return {p.nhs_number: normalised(await demo.fetch_record(p.nhs_number, query)) for p in DEMO_PATIENTS}

    found = {}
    for nhs_number, clinical in asyncio.run(fetch_all()).items():
        summary = HEART_FAILURE.build_summary(clinical, CONTEXT)
        found[nhs_number] = (summary, HEART_FAILURE.case_findings(summary, clinical, CONTEXT))
    return found


def _story(fragment: str) -> str:
    return next(p.nhs_number for p in DEMO_PATIENTS if fragment in p.story)


def test_the_search_finds_the_demo_patients_it_should_with_their_severity_and_no_one_else(
    demo_findings: Findings,
) -> None:
    found = {n: f.severity for n, (_, findings) in demo_findings.items() for f in findings if f.code == RULE}

    assert found == {_story(story): severity for story, severity in FOUND_STORIES.items()}


def test_a_finding_is_there_exactly_when_the_summary_says_case_finding(demo_findings: Findings) -> None:
    for summary, findings in demo_findings.values():
        assert (RULE in {f.code for f in findings}) is summary.case_finding


def test_the_evidence_names_the_route_the_search_took(demo_findings: Findings) -> None:
    peptide = next(f for f in demo_findings[_story("NT-proBNP 900 ng/L")][1] if f.code == RULE)
    medicine = next(f for f in demo_findings[_story("Sacubitril/valsartan")][1] if f.code == RULE)

    assert peptide.evidence.startswith("latest NT-proBNP 900 ng/L on ")
    assert "is above 400 ng/L; no heart-failure diagnosis coded" in peptide.evidence
    assert medicine.evidence.startswith("heart-failure medicines issued in 3 months: Entresto")
    assert "NT-proBNP" not in medicine.evidence


def test_every_met_criterion_is_a_finding_with_the_summarys_evidence(demo_findings: Findings) -> None:
    for summary, findings in demo_findings.values():
        met = {c.code: c.evidence for c in summary.referral_criteria if c.status == "met"}

        assert {f.code: f.evidence for f in findings if f.code in CRITERIA} == met


@pytest.mark.parametrize(("value", "found"), [(400.0, False), (401.0, True)])
def test_an_nt_probnp_of_exactly_400_is_not_above_400(value: float, found: bool) -> None:
    facts = HeartFailureFacts(TODAY, ntprobnp=(Reading(date(2026, 11, 1), value, "ng/L"),))

    assert (suspected_heart_failure(facts) is not None) is found


def test_a_raised_nt_probnp_and_a_medicine_are_both_named() -> None:
    entresto = Medicine("Entresto 24mg/26mg tablets", frozenset({"arni"}), date(2026, 11, 1))
    facts = HeartFailureFacts(
        TODAY, ntprobnp=(Reading(date(2026, 11, 1), 650.0, "ng/L"),), medicines=(entresto,)
    )
    finding = suspected_heart_failure(facts)

    assert finding is not None
    assert finding.severity == 2
    assert finding.evidence == (
        "latest NT-proBNP 650 ng/L on 2026-11-01 is above 400 ng/L; heart-failure medicines issued in "
        "3 months: Entresto 24mg/26mg tablets (issued 2026-11-01); no heart-failure diagnosis coded"
    )
