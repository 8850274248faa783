"""Nephrology's case-finding searches: each boundary, each rule over the demo practice, and agreement with the
summary the page shows."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.demo import DEMO_PATIENTS, DemoSource
from app.records.service import record_query
from app.specialties.base import CaseFinding, SummaryContext
from app.specialties.nephrology.case_finding import (
    NephrologySearch,
    albuminuria_not_on_acei_arb,
    ckd_not_monitored,
    unrecognised_ckd,
)
from app.specialties.nephrology.coded_conditions import CKD_STAGE_3_TO_5_CODES
from app.specialties.nephrology.dates import shift_months
from app.specialties.nephrology.plugin import NEPHROLOGY
from schemas.api.nephrology import NephrologySummary
from schemas.clinical import ClinicalRecord, Condition, Measurement, Medication, SourceStatus
from tests.specialties.nephrology.factories import (
    PRACTICE,
    acr,
    condition,
    egfr,
    medication,
    record,
)
from tests.support.catalogue import CATALOGUE, normalised

TODAY = date(2026, 11, 22)
CONTEXT = SummaryContext(today=TODAY, generated_at=datetime(2026, 11, 22, 9, tzinfo=UTC))
CKD_3A = ("700378005", "Chronic kidney disease stage 3A")
CKD_3B = ("700379002", "Chronic kidney disease stage 3B")
CKD_2 = ("431856006", "Chronic kidney disease stage 2")
T2DM = ("44054006", "Type 2 diabetes mellitus")


def _on(days_before_today: int) -> str:
    return (TODAY - timedelta(days=days_before_today)).isoformat()


def _record(
    *results: Measurement,
    conditions: tuple[Condition, ...] = (),
    medications: tuple[Medication, ...] = (),
    complete: bool = True,
) -> ClinicalRecord:
    status = "ok" if complete else "partial"
    return record(
        *results,
        conditions=conditions,
        medications=medications,
        sources=[SourceStatus(PRACTICE, "fhir-r4", status)],
    )


def _summary(clinical: ClinicalRecord) -> NephrologySummary:
    return NEPHROLOGY.build_summary(clinical, CONTEXT)


def _run(rule: NephrologySearch, clinical: ClinicalRecord) -> CaseFinding | None:
    return rule(_summary(clinical), clinical, CONTEXT)


def _coded(concept: tuple[str, str], *, status: str = "active") -> Condition:
    coded = condition(*concept, onset="2020-01-01")
    coded.clinical_status = status
    return coded


# --- unrecognised-ckd ---------------------------------------------------------------------------------------


def test_two_egfrs_below_60_exactly_90_days_apart_with_no_ckd_coded_is_unrecognised_ckd() -> None:
    found = _run(unrecognised_ckd, _record(egfr("2026-06-01", 55), egfr("2026-08-30", 52)))

    assert found is not None
    assert found.code == "unrecognised-ckd"
    assert found.coding_gap
    assert found.evidence == (
        "eGFR 52 on 2026-08-30 and 55 on 2026-06-01, 90 days apart, both below 60 (latest G3a); no CKD coded"
    )


def test_two_egfrs_below_60_only_89_days_apart_are_not_yet_ckd() -> None:
    assert _run(unrecognised_ckd, _record(egfr("2026-06-01", 55), egfr("2026-08-29", 52))) is None


def test_a_latest_egfr_of_exactly_60_is_not_below_60() -> None:
    assert _run(unrecognised_ckd, _record(egfr("2026-01-01", 55), egfr("2026-08-30", 60))) is None


def test_an_earlier_egfr_of_exactly_60_does_not_make_the_pair() -> None:
    assert _run(unrecognised_ckd, _record(egfr("2026-01-01", 60), egfr("2026-08-30", 59.9))) is None


def test_twice_below_60_90_days_apart_but_latest_60_or_more_is_not_found() -> None:
    clinical = _record(egfr("2025-06-01", 55), egfr("2025-12-01", 52), egfr("2026-08-30", 64))

    assert _run(unrecognised_ckd, clinical) is None


def test_the_pair_is_the_latest_and_the_most_recent_low_result_90_days_before_it() -> None:
    clinical = _record(egfr("2025-01-01", 58), egfr("2026-03-01", 50), egfr(_on(60), 49), egfr(_on(0), 47))

    found = _run(unrecognised_ckd, clinical)

    assert found is not None
    assert found.evidence.startswith(f"eGFR 47 on {TODAY} and 50 on 2026-03-01, 266 days apart")


def test_ckd_stage_3_to_5_coded_is_recognised() -> None:
    clinical = _record(egfr("2026-01-01", 40), egfr("2026-08-30", 38), conditions=(_coded(CKD_3B),))

    assert _run(unrecognised_ckd, clinical) is None


def test_ckd_stage_3_written_only_in_words_without_proteinuria_is_recognised() -> None:
    in_words = condition(display="Chronic kidney disease stage 3A without proteinuria")
    clinical = _record(egfr("2026-01-01", 50), egfr("2026-08-30", 48), conditions=(in_words,))

    assert _run(unrecognised_ckd, clinical) is None


def test_ckd_coded_only_as_stage_2_is_still_a_coding_gap_and_says_so() -> None:
    clinical = _record(egfr("2026-01-01", 50), egfr("2026-08-30", 48), conditions=(_coded(CKD_2),))

    found = _run(unrecognised_ckd, clinical)

    assert found is not None
    assert found.evidence.endswith("CKD coded only as Chronic kidney disease stage 2, not stage 3-5")


def test_a_resolved_ckd_code_does_not_recognise_ckd_today() -> None:
    resolved = _coded(CKD_3A, status="resolved")
    clinical = _record(egfr("2026-01-01", 50), egfr("2026-08-30", 48), conditions=(resolved,))

    assert _run(unrecognised_ckd, clinical) is not None


def test_an_incomplete_record_never_claims_a_coding_gap() -> None:
    clinical = _record(egfr("2026-01-01", 50), egfr("2026-08-30", 48), complete=False)

    assert _run(unrecognised_ckd, clinical) is None


@pytest.mark.parametrize(("latest", "severity"), [(59, 1), (44, 2), (29, 3), (14, 4)])
def test_unrecognised_ckd_is_more_severe_the_lower_the_latest_g_category(
    latest: float, severity: int
) -> None:
    found = _run(unrecognised_ckd, _record(egfr("2026-01-01", 55), egfr("2026-08-30", latest)))

    assert found is not None
    assert found.severity == severity


@given(
    gap=st.integers(min_value=1, max_value=400),
    earlier=st.floats(min_value=5, max_value=120, allow_nan=False),
    latest=st.floats(min_value=5, max_value=120, allow_nan=False),
)
def test_unrecognised_ckd_is_found_exactly_when_both_are_below_60_at_least_90_days_apart(
    gap: int, earlier: float, latest: float
) -> None:
    last = date(2026, 8, 30)
    clinical = _record(
        egfr((last - timedelta(days=gap)).isoformat(), earlier), egfr(last.isoformat(), latest)
    )

    found = _run(unrecognised_ckd, clinical)

    assert (found is not None) == (gap >= 90 and earlier < 60 and latest < 60)


# --- albuminuria-not-on-acei-arb ----------------------------------------------------------------------------


def test_acr_of_exactly_30_with_no_acei_or_arb_is_found() -> None:
    found = _run(albuminuria_not_on_acei_arb, _record(acr("2026-08-30", 30)))

    assert found is not None
    assert found.evidence == (
        "latest ACR 30 mg/mmol on 2026-08-30 is 30 or more; no ACE inhibitor or ARB active"
    )
    assert found.severity == 2
    assert not found.coding_gap


def test_acr_just_below_30_without_diabetes_is_not_found() -> None:
    assert _run(albuminuria_not_on_acei_arb, _record(acr("2026-08-30", 29.9))) is None


def test_acr_of_exactly_3_with_diabetes_is_found() -> None:
    found = _run(albuminuria_not_on_acei_arb, _record(acr("2026-08-30", 3), conditions=(_coded(T2DM),)))

    assert found is not None
    assert found.evidence == (
        "latest ACR 3 mg/mmol on 2026-08-30 is 3 or more with diabetes coded (Type 2 diabetes mellitus); "
        "no ACE inhibitor or ARB active"
    )
    assert found.severity == 1


def test_acr_just_below_3_with_diabetes_is_not_found() -> None:
    clinical = _record(acr("2026-08-30", 2.9), conditions=(_coded(T2DM),))

    assert _run(albuminuria_not_on_acei_arb, clinical) is None


def test_acr_of_3_without_diabetes_is_not_found() -> None:
    assert _run(albuminuria_not_on_acei_arb, _record(acr("2026-08-30", 3))) is None


def test_an_active_ace_inhibitor_or_arb_means_not_found() -> None:
    for drug in ("Ramipril 5mg capsules", "Losartan 50mg tablets"):
        clinical = _record(acr("2026-08-30", 45), medications=(medication(drug),))
        assert _run(albuminuria_not_on_acei_arb, clinical) is None


def test_a_stopped_ace_inhibitor_is_named_in_the_evidence() -> None:
    stopped = medication("Ramipril 5mg capsules", status="stopped")
    found = _run(albuminuria_not_on_acei_arb, _record(acr("2026-08-30", 34), medications=(stopped,)))

    assert found is not None
    assert found.evidence.endswith("no ACE inhibitor or ARB active, earlier: Ramipril 5mg capsules (stopped)")


def test_an_acr_reported_below_3_is_not_found_even_with_diabetes() -> None:
    clinical = _record(acr("2026-08-30", 3, comparator="<"), conditions=(_coded(T2DM),))

    assert _run(albuminuria_not_on_acei_arb, clinical) is None


def test_an_acr_of_70_or_more_is_the_most_severe() -> None:
    found = _run(albuminuria_not_on_acei_arb, _record(acr("2026-08-30", 70)))

    assert found is not None
    assert found.severity == 3


def test_albuminuria_in_an_incomplete_record_is_not_found() -> None:
    assert _run(albuminuria_not_on_acei_arb, _record(acr("2026-08-30", 45), complete=False)) is None


@given(value=st.floats(min_value=0, max_value=400, allow_nan=False), diabetes=st.booleans())
def test_albuminuria_is_found_exactly_at_30_or_at_3_with_diabetes(value: float, diabetes: bool) -> None:
    conditions = (_coded(T2DM),) if diabetes else ()
    found = _run(albuminuria_not_on_acei_arb, _record(acr("2026-08-30", value), conditions=conditions))

    assert (found is not None) == (value >= 30 or (diabetes and value >= 3))


# --- ckd-not-monitored --------------------------------------------------------------------------------------


def test_an_egfr_exactly_12_months_before_today_is_monitoring() -> None:
    last = shift_months(TODAY, -12)
    clinical = _record(egfr(last.isoformat(), 41), conditions=(_coded(CKD_3B),))

    assert _run(ckd_not_monitored, clinical) is None


def test_an_egfr_a_day_more_than_12_months_before_today_is_not_monitored_and_says_so() -> None:
    last = shift_months(TODAY, -12) - timedelta(days=1)
    clinical = _record(egfr(last.isoformat(), 41), conditions=(_coded(CKD_3B),))

    found = _run(ckd_not_monitored, clinical)

    assert found is not None
    assert found.evidence == (
        "CKD coded (Chronic kidney disease stage 3B); last eGFR 41 on 2025-11-21, 12 months ago; "
        "none in the 12 months up to today (2026-11-22)"
    )
    assert found.severity == 1


def test_coded_ckd_with_no_egfr_ever_is_the_most_severe() -> None:
    found = _run(ckd_not_monitored, _record(conditions=(_coded(CKD_3A),)))

    assert found is not None
    assert "no eGFR recorded" in found.evidence
    assert found.severity == 3


def test_more_than_two_years_without_an_egfr_is_worse_than_one() -> None:
    last = shift_months(TODAY, -24) - timedelta(days=1)
    found = _run(ckd_not_monitored, _record(egfr(last.isoformat(), 41), conditions=(_coded(CKD_3B),)))

    assert found is not None
    assert found.severity == 2


def test_ckd_stage_2_coded_is_not_due_monitoring_by_this_search() -> None:
    clinical = _record(egfr("2024-01-01", 70), conditions=(_coded(CKD_2),))

    assert _run(ckd_not_monitored, clinical) is None


def test_not_monitored_is_not_claimed_from_an_incomplete_record() -> None:
    clinical = _record(egfr("2024-01-01", 41), conditions=(_coded(CKD_3B),), complete=False)

    assert _run(ckd_not_monitored, clinical) is None


@given(days_before=st.integers(min_value=0, max_value=1500))
def test_not_monitored_is_found_exactly_when_the_last_egfr_is_before_the_12_months(days_before: int) -> None:
    last = TODAY - timedelta(days=days_before)
    found = _run(ckd_not_monitored, _record(egfr(last.isoformat(), 41), conditions=(_coded(CKD_3B),)))

    assert (found is not None) == (last < shift_months(TODAY, -12))


# --- the demo practice --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_findings() -> dict[str, tuple[NephrologySummary, tuple[CaseFinding, ...]]]:
    demo = DemoSource(today=TODAY)
    query = record_query(NEPHROLOGY.needs, CATALOGUE, TODAY, history_years=20)

    async def fetch_all() -> dict[str, ClinicalRecord]:
        return {p.nhs_number: normalised(await demo.fetch_record(p.nhs_number, query)) for p in DEMO_PATIENTS}

    findings = {}
    for nhs_number, clinical in asyncio.run(fetch_all()).items():
        summary = NEPHROLOGY.build_summary(clinical, CONTEXT)
        findings[nhs_number] = (summary, NEPHROLOGY.case_findings(summary, clinical, CONTEXT))
    return findings


def test_every_met_criterion_is_a_finding_with_the_summarys_evidence(
    demo_findings: dict[str, tuple[NephrologySummary, tuple[CaseFinding, ...]]],
) -> None:
    for summary, findings in demo_findings.values():
        met = {c.code: c.evidence for c in summary.referral_criteria if c.status == "met"}
        criteria = {f.code: f.evidence for f in findings if f.code in NEPHROLOGY_CRITERION_CODES}
        assert criteria == met


NEPHROLOGY_CRITERION_CODES = frozenset(c.code for c in NEPHROLOGY.referral_criteria)


@pytest.mark.parametrize(
    ("story", "code"),
    [
        ("Rapid decline: eGFR 78 to 40", "egfr-decline-15-per-year"),
        ("eGFR fell over 25% within a year", "egfr-decline-25pct"),
        ("unrecognised CKD G3a", "unrecognised-ckd"),
        ("not monitored", "ckd-not-monitored"),
        ("albuminuria untreated", "albuminuria-not-on-acei-arb"),
        ("Ramipril stopped for hyperkalaemia", "albuminuria-not-on-acei-arb"),
    ],
)
def test_the_demo_practice_has_a_patient_each_search_finds(
    demo_findings: dict[str, tuple[NephrologySummary, tuple[CaseFinding, ...]]], story: str, code: str
) -> None:
    patient = next(p for p in DEMO_PATIENTS if story in p.story)

    assert code in {finding.code for finding in demo_findings[patient.nhs_number][1]}


def test_no_demo_patient_with_ckd_coded_is_found_unrecognised(
    demo_findings: dict[str, tuple[NephrologySummary, tuple[CaseFinding, ...]]],
) -> None:
    for summary, findings in demo_findings.values():
        coded = any(c.code in CKD_STAGE_3_TO_5_CODES for c in summary.conditions)
        if coded:
            assert "unrecognised-ckd" not in {f.code for f in findings}
