"""The lipid criteria: met, not met and insufficient data for each, with evidence a clinician reads."""

from __future__ import annotations

from app.specialties.lipids.criteria import (
    cg71_search_matches,
    homozygous_fh_range,
    non_hdl_over_7_5_or_tc_over_9,
    referral_criteria,
    secondary_prevention_above_target,
    tc_over_7_5_under_30,
    tc_over_9_age_30_plus,
    tg_10_to_20_repeat,
    tg_over_20_urgent,
)
from tests.specialties.lipids.lipid_builders import facts, finding, on, statin

YOUNG = "2000-01-01"


def test_tc_above_7_5_at_age_24_is_met_and_names_the_age() -> None:
    outcome = tc_over_7_5_under_30(facts(born=YOUNG, tc=[on("2024-03-01", 7.8)]))
    assert outcome.status == "met"
    assert outcome.evidence == "total cholesterol 7.8 mmol/L on 2024-03-01 at age 24 is above 7.5"


def test_tc_of_exactly_7_5_under_30_is_not_met() -> None:
    assert tc_over_7_5_under_30(facts(born=YOUNG, tc=[on("2024-03-01", 7.5)])).status == "not-met"


def test_the_highest_result_counts_not_the_latest_on_treatment() -> None:
    tcs = [on("2020-03-01", 9.4), on("2024-03-01", 5.1)]
    assert tc_over_9_age_30_plus(facts(tc=tcs)).status == "met"


def test_the_age_at_the_sample_decides_the_threshold() -> None:
    # 8.0 at 29 meets the under-30 rule although the patient is now 30.
    record = facts(born="1995-01-01", tc=[on("2024-06-01", 8.0)])
    assert tc_over_7_5_under_30(record).status == "met"
    assert tc_over_9_age_30_plus(record).status == "insufficient-data"
    assert cg71_search_matches(record)


def test_no_date_of_birth_is_insufficient() -> None:
    assert tc_over_7_5_under_30(facts(born=None, tc=[on("2024-03-01", 9.5)])).status == "insufficient-data"


def test_an_incomplete_record_never_shows_not_met_from_absence() -> None:
    assert tc_over_9_age_30_plus(facts(tc=[on("2024-03-01", 6.0)], complete=False)).status == (
        "insufficient-data"
    )


def test_computed_non_hdl_above_7_5_meets_specialist_assessment() -> None:
    outcome = non_hdl_over_7_5_or_tc_over_9(facts(tc=[on("2024-01-01", 8.9)], hdl=[on("2024-01-01", 1.0)]))
    assert outcome.status == "met"
    assert "non-HDL cholesterol 7.9 mmol/L (TC - HDL) on 2024-01-01" in outcome.evidence


def test_homozygous_range_uses_11_under_18_and_13_for_adults() -> None:
    child = facts(born="2012-01-01", ldl=[on("2024-06-01", 11.5)])
    adult = facts(born="1980-01-01", ldl=[on("2024-06-01", 11.5)])
    assert homozygous_fh_range(child).status == "met"
    assert homozygous_fh_range(adult).status == "not-met"


def test_triglyceride_bands_at_10_and_20() -> None:
    def tg(value: float) -> tuple[str, str]:
        record = facts(tg=[on("2024-01-01", value)])
        return tg_10_to_20_repeat(record).status, tg_over_20_urgent(record).status

    assert tg(9.9) == ("not-met", "not-met")
    assert tg(10.0) == ("met", "not-met")
    assert tg(20.0) == ("met", "not-met")
    assert tg(20.1) == ("not-met", "met")


def test_tg_above_20_is_urgent_and_names_secondary_causes() -> None:
    outcome = tg_over_20_urgent(facts(tg=[on("2024-01-01", 24.0)], diabetes=[finding("Type 2 diabetes")]))
    assert outcome.urgency == "urgent"
    assert "Type 2 diabetes" in outcome.evidence


def test_a_censored_tg_above_20_is_urgent() -> None:
    assert tg_over_20_urgent(facts(tg=[on("2024-01-01", 20.0, ">")])).status == "met"


def test_a_repeat_still_above_10_asks_for_specialist_advice() -> None:
    outcome = tg_10_to_20_repeat(facts(tg=[on("2024-01-01", 12.0), on("2024-01-09", 11.0)]))
    assert "seek specialist advice" in outcome.evidence


def test_secondary_prevention_is_judged_on_ldl_and_on_non_hdl_only_without_one() -> None:
    chd = [finding("Myocardial infarction", "2015-01-01")]
    above = facts(
        chd=chd, ldl=[on("2024-01-01", 2.4)], non_hdl=[on("2024-01-01", 3.0)], statins=[statin("2016-01-01")]
    )
    ldl_high = facts(chd=chd, ldl=[on("2024-01-01", 2.4)], non_hdl=[on("2024-01-01", 2.5)])
    non_hdl_only = facts(chd=chd, non_hdl=[on("2024-01-01", 2.7)])
    assert secondary_prevention_above_target(above).status == "met"
    assert "on Atorvastatin 20mg tablets" in secondary_prevention_above_target(above).evidence
    assert secondary_prevention_above_target(ldl_high).status == "met"
    assert secondary_prevention_above_target(non_hdl_only).status == "met"


def test_secondary_prevention_at_exactly_the_targets_is_not_met() -> None:
    ldl = facts(chd=[finding("Angina")], ldl=[on("2024-01-01", 2.0)])
    non_hdl = facts(chd=[finding("Angina")], non_hdl=[on("2024-01-01", 2.6)])
    assert secondary_prevention_above_target(ldl).status == "not-met"
    assert secondary_prevention_above_target(non_hdl).status == "not-met"


def test_without_cardiovascular_disease_secondary_prevention_is_not_met() -> None:
    assert secondary_prevention_above_target(facts(ldl=[on("2024-01-01", 4.0)])).status == "not-met"


def test_every_criterion_is_reported_in_order() -> None:
    codes = [outcome.code for outcome in referral_criteria(facts())]
    assert codes == [
        "tc-over-7.5-under-30",
        "tc-over-9-age-30-plus",
        "non-hdl-over-7.5-or-tc-over-9",
        "homozygous-fh-range",
        "tg-10-to-20-repeat",
        "tg-over-20-urgent",
        "secondary-prevention-above-target",
        "dlcn-over-5",
    ]
