"""Each boundary, tried across its whole neighbourhood: strictly above means above."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.specialties.lipids.criteria import (
    cg71_search_matches,
    homozygous_fh_range,
    non_hdl_over_7_5_or_tc_over_9,
    secondary_prevention_above_target,
    tc_over_7_5_under_30,
    tc_over_9_age_30_plus,
    tg_10_to_20_repeat,
    tg_over_20_urgent,
)
from app.specialties.lipids.dlcn import ldl_points
from app.specialties.lipids.profile import friedewald_ldl
from app.specialties.lipids.units import Lipid
from tests.specialties.lipids.lipid_builders import facts, finding, in_mmol, on

values = st.floats(min_value=0.1, max_value=40, allow_nan=False).map(lambda v: round(v, 1))


@given(values)
def test_tc_under_30_is_met_exactly_above_7_5(value: float) -> None:
    record = facts(born="2000-01-01", tc=[on("2024-01-01", value)])
    assert (tc_over_7_5_under_30(record).status == "met") is (value > 7.5)
    assert cg71_search_matches(record) is (value > 7.5)


@given(values)
def test_tc_from_30_is_met_exactly_above_9(value: float) -> None:
    record = facts(tc=[on("2024-01-01", value)])
    assert (tc_over_9_age_30_plus(record).status == "met") is (value > 9.0)
    assert cg71_search_matches(record) is (value > 9.0)


@given(values)
def test_non_hdl_is_met_exactly_above_7_5(value: float) -> None:
    record = facts(non_hdl=[on("2024-01-01", value)], tc=[on("2024-01-01", 5.0)])
    assert (non_hdl_over_7_5_or_tc_over_9(record).status == "met") is (value > 7.5)


@given(values)
def test_homozygous_adult_is_met_exactly_above_13(value: float) -> None:
    assert (homozygous_fh_range(facts(ldl=[on("2024-01-01", value)])).status == "met") is (value > 13)


@given(values)
def test_triglyceride_bands_partition_at_10_and_20(value: float) -> None:
    record = facts(tg=[on("2024-01-01", value)])
    assert (tg_10_to_20_repeat(record).status == "met") is (10 <= value <= 20)
    assert (tg_over_20_urgent(record).status == "met") is (value > 20)


@given(values, values)
def test_secondary_prevention_is_above_target_exactly_above_ldl_2(ldl: float, non_hdl: float) -> None:
    record = facts(chd=[finding("Angina")], ldl=[on("2024-01-01", ldl)], non_hdl=[on("2024-01-01", non_hdl)])
    assert (secondary_prevention_above_target(record).status == "met") is (ldl > 2.0)


@given(values)
def test_without_ldl_non_hdl_is_above_target_exactly_above_2_6(non_hdl: float) -> None:
    record = facts(chd=[finding("Angina")], non_hdl=[on("2024-01-01", non_hdl)])
    assert (secondary_prevention_above_target(record).status == "met") is (non_hdl > 2.6)


@given(st.floats(min_value=0, max_value=20, allow_nan=False))
def test_dlcn_ldl_points_never_fall_as_ldl_rises(ldl: float) -> None:
    assert ldl_points(ldl) <= ldl_points(ldl + 0.01)


@given(st.floats(min_value=0.1, max_value=10, allow_nan=False))
def test_friedewald_is_computed_exactly_up_to_triglyceride_4_5(tg: float) -> None:
    estimated = friedewald_ldl(on("2024-01-01", 12.0), on("2024-01-01", 1.0), on("2024-01-01", tg))
    assert (estimated is not None) is (tg <= 4.5)


@given(st.integers(min_value=40, max_value=800))
def test_uk_and_us_twins_give_identical_numbers(mg_dl: int) -> None:
    # A US laboratory reports whole mg/dL; the UK twin is the same sample reported to one place in mmol/L.
    uk = round(mg_dl / 38.67 + 1e-9, 1)
    us = in_mmol(Lipid.TOTAL_CHOLESTEROL, mg_dl, "mg/dL")
    assert us is not None
    assert abs(us - uk) < 1e-9
    twin_uk = facts(tc=[on("2024-01-01", uk)])
    twin_us = facts(tc=[on("2024-01-01", us)])
    assert tc_over_9_age_30_plus(twin_uk) == tc_over_9_age_30_plus(twin_us)
