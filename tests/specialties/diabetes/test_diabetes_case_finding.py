"""Diabetes case-finding: an HbA1c in the diabetes range with no diabetes coded, over the demo practice and at
its boundary, and met criteria as findings with the summary's own evidence."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from adapters.demo import DEMO_PATIENTS, DemoSource
from app.records.service import record_query
from app.specialties.base import CaseFinding, SummaryContext
from app.specialties.diabetes.case_finding import hba1c_without_diabetes_coded
from app.specialties.diabetes.plugin import DIABETES
from app.specialties.diabetes.summary import DiabetesSummary
from schemas.clinical import ClinicalRecord
from tests.specialties.diabetes.diabetes_factories import facts
from tests.support.catalogue import CATALOGUE, normalised

TODAY = date(2026, 11, 22)
CONTEXT = SummaryContext(today=TODAY, generated_at=datetime(2026, 11, 22, 9, tzinfo=UTC))
RULE = "hba1c-diabetes-range-not-coded"
CRITERIA = frozenset(c.code for c in DIABETES.referral_criteria)

Findings = dict[str, tuple[DiabetesSummary, tuple[CaseFinding, ...]]]


@pytest.fixture(scope="module")
def demo_findings() -> Findings:
    demo = DemoSource(today=TODAY)
    query = record_query(DIABETES.needs, CATALOGUE, TODAY, history_years=20)

    async def fetch_all() -> dict[str, ClinicalRecord]:
        return {p.nhs_number: normalised(await demo.fetch_record(p.nhs_number, query)) for p in DEMO_PATIENTS}

    found = {}
    for nhs_number, clinical in asyncio.run(fetch_all()).items():
        summary = DIABETES.build_summary(clinical, CONTEXT)
        found[nhs_number] = (summary, DIABETES.case_findings(summary, clinical, CONTEXT))
    return found


def test_the_search_finds_the_demo_patient_with_hba1c_53_and_no_diabetes_coded_and_no_one_else(
    demo_findings: Findings,
) -> None:
    expected = {p.nhs_number for p in DEMO_PATIENTS if "HbA1c 53 with no diabetes coded" in p.story}
    found = {n for n, (_, findings) in demo_findings.items() if RULE in {f.code for f in findings}}

    assert found == expected


def test_the_finding_is_a_coding_gap_naming_the_hba1c_its_date_and_the_missing_code(
    demo_findings: Findings,
) -> None:
    patient = next(p for p in DEMO_PATIENTS if "HbA1c 53 with no diabetes coded" in p.story)
    summary, findings = demo_findings[patient.nhs_number]
    finding = next(f for f in findings if f.code == RULE)
    latest = summary.latest["hba1c"]

    assert latest is not None
    assert finding.coding_gap
    assert f"latest HbA1c {latest.value:g} mmol/mol" in finding.evidence
    assert f"on {latest.date}" in finding.evidence
    assert "no diabetes code on record" in finding.evidence


def test_every_met_criterion_is_a_finding_with_the_summarys_evidence(demo_findings: Findings) -> None:
    for summary, findings in demo_findings.values():
        met = {c.code: c.evidence for c in summary.referral_criteria if c.status == "met"}

        assert {f.code: f.evidence for f in findings if f.code in CRITERIA} == met


@pytest.mark.parametrize(("hba1c", "found"), [(47.0, False), (48.0, True)])
def test_an_hba1c_of_48_is_the_diabetes_range_and_47_is_not(hba1c: float, found: bool) -> None:
    uncoded = facts((date(2026, 5, 1), hba1c, "mmol/mol"), conditions=())

    assert (hba1c_without_diabetes_coded(uncoded) is not None) is found


def test_diabetes_coded_is_no_coding_gap_however_high_the_hba1c() -> None:
    assert hba1c_without_diabetes_coded(facts((date(2026, 5, 1), 97.0, "mmol/mol"))) is None


@pytest.mark.parametrize(("hba1c", "severity"), [(57.0, 1), (58.0, 2), (75.0, 2), (76.0, 3)])
def test_the_higher_the_hba1c_the_more_severe(hba1c: float, severity: int) -> None:
    finding = hba1c_without_diabetes_coded(facts((date(2026, 5, 1), hba1c, "mmol/mol"), conditions=()))

    assert finding is not None
    assert finding.severity == severity
