"""Lipid case-finding: the NICE CG71 1.1.2 record search over the demo practice and at its boundaries, and met
criteria as findings with the summary's own evidence."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from adapters.demo import DEMO_PATIENTS, DemoSource
from app.records.service import record_query
from app.specialties.base import CaseFinding, SummaryContext
from app.specialties.lipids.case_finding import cg71_record_search
from app.specialties.lipids.plugin import LIPIDS, LipidsSummary
from schemas.clinical import ClinicalRecord
from tests.specialties.lipids.lipid_builders import facts, on
from tests.support.catalogue import CATALOGUE, normalised

TODAY = date(2026, 11, 22)
CONTEXT = SummaryContext(today=TODAY, generated_at=datetime(2026, 11, 22, 9, tzinfo=UTC))
RULE = "cg71-fh-record-search"
CRITERIA = frozenset(c.code for c in LIPIDS.referral_criteria)
FOUND_STORIES = {
    "Total cholesterol 8.4 at 24: the CG71 search under 30 finds her": 1,
    "US-coded twin: total cholesterol 325 mg/dL at 24": 1,
    "Total cholesterol 9.6, non-HDL 8.4 at 46": 2,
    "Untreated LDL 8.8 at 38": 2,
    "LDL 12.0 at 16": 2,
    "Triglyceride 26.0 with alcoholism coded": 2,
    "US-coded twin: triglyceride 2303 mg/dL": 2,
}

Findings = dict[str, tuple[LipidsSummary, tuple[CaseFinding, ...]]]


@pytest.fixture(scope="module")
def demo_findings() -> Findings:
    demo = DemoSource(today=TODAY)
    query = record_query(LIPIDS.needs, CATALOGUE, TODAY, history_years=20)

    async def fetch_all() -> dict[str, ClinicalRecord]:
        return {p.nhs_number: normalised(await demo.fetch_record(p.nhs_number, query)) for p in DEMO_PATIENTS}

    found = {}
    for nhs_number, clinical in asyncio.run(fetch_all()).items():
        summary = LIPIDS.build_summary(clinical, CONTEXT)
        found[nhs_number] = (summary, LIPIDS.case_findings(summary, clinical, CONTEXT))
    return found


def _story(fragment: str) -> str:
    return next(p.nhs_number for p in DEMO_PATIENTS if fragment in p.story)


def test_the_search_finds_the_demo_patients_it_should_with_their_severity_and_no_one_else(
    demo_findings: Findings,
) -> None:
    found = {n: f.severity for n, (_, findings) in demo_findings.items() for f in findings if f.code == RULE}

    assert found == {_story(story): severity for story, severity in FOUND_STORIES.items()}
    assert _story("Total cholesterol exactly 9.0 at 40") not in found


def test_a_finding_is_there_exactly_when_the_summary_says_the_search_matches(demo_findings: Findings) -> None:
    for summary, findings in demo_findings.values():
        assert (RULE in {f.code for f in findings}) is summary.cg71_search_match


def test_every_met_criterion_is_a_finding_with_the_summarys_evidence(demo_findings: Findings) -> None:
    for summary, findings in demo_findings.values():
        met = {c.code: c.evidence for c in summary.referral_criteria if c.status == "met"}

        assert {f.code: f.evidence for f in findings if f.code in CRITERIA} == met


@pytest.mark.parametrize(("tc", "found"), [(7.5, False), (7.6, True)])
def test_under_30_a_total_cholesterol_of_exactly_7_5_is_not_above_it(tc: float, found: bool) -> None:
    young = facts(born="2000-01-01", tc=[on("2024-03-01", tc)])

    assert (cg71_record_search(young) is not None) is found


@pytest.mark.parametrize(("tc", "found"), [(9.0, False), (9.1, True)])
def test_from_30_a_total_cholesterol_of_exactly_9_0_is_not_above_it(tc: float, found: bool) -> None:
    older = facts(born="1980-01-01", tc=[on("2024-03-01", tc)])

    assert (cg71_record_search(older) is not None) is found


def test_the_evidence_names_the_highest_matching_result_its_date_and_the_age_then() -> None:
    finding = cg71_record_search(
        facts(born="2000-01-01", tc=[on("2021-05-01", 7.8), on("2023-02-01", 8.1), on("2024-06-01", 5.0)])
    )

    assert finding is not None
    assert finding.severity == 1
    assert finding.evidence == (
        "highest matching total cholesterol 8.1 mmol/L on 2023-02-01 at age 23 is above 7.5, "
        "the CG71 threshold under 30"
    )


def test_a_result_under_30_above_7_5_matches_though_it_would_not_from_30() -> None:
    finding = cg71_record_search(facts(born="1995-01-01", tc=[on("2024-06-01", 8.5), on("2025-03-01", 8.9)]))

    assert finding is not None
    assert "8.5 mmol/L on 2024-06-01 at age 29" in finding.evidence
