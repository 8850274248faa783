"""Non-HDL computed when not reported; Friedewald LDL only where it is valid (published worked examples)."""

from __future__ import annotations

from app.specialties.lipids.profile import (
    LipidResult,
    Origin,
    friedewald_ldl,
    lipid_series,
    non_hdl,
)
from app.specialties.lipids.units import Lipid
from tests.specialties.lipids.lipid_builders import on


def test_non_hdl_is_total_minus_hdl() -> None:
    computed = non_hdl(on("2024-01-01", 6.5), on("2024-01-01", 1.2))
    assert computed is not None
    assert computed.value == 5.3
    assert computed.origin is Origin.COMPUTED


def test_friedewald_worked_example_in_mmol_per_litre() -> None:
    ldl = friedewald_ldl(on("2024-01-01", 6.5), on("2024-01-01", 1.2), on("2024-01-01", 2.2))
    assert ldl is not None
    assert ldl.value == 4.3


def test_friedewald_mg_per_dl_example_agrees_after_conversion() -> None:
    # 250 - 45 - 150/5 = 175 mg/dL; the same sample in mmol/L gives 175 / 38.67 = 4.5.
    tc, hdl, tg = 250 / 38.67, 45 / 38.67, 150 / 88.57
    ldl = friedewald_ldl(on("2024-01-01", tc), on("2024-01-01", hdl), on("2024-01-01", tg))
    assert ldl is not None
    assert abs(ldl.value - 175 / 38.67) < 0.06


def test_friedewald_is_not_computed_above_triglyceride_4_5() -> None:
    assert friedewald_ldl(on("2024-01-01", 6.5), on("2024-01-01", 1.2), on("2024-01-01", 4.6)) is None


def test_friedewald_is_computed_at_triglyceride_exactly_4_5() -> None:
    assert friedewald_ldl(on("2024-01-01", 8.0), on("2024-01-01", 1.0), on("2024-01-01", 4.5)) is not None


def test_friedewald_needs_one_day_and_no_censored_part() -> None:
    assert friedewald_ldl(on("2024-01-01", 6.5), on("2024-01-02", 1.2), on("2024-01-01", 2.2)) is None
    assert friedewald_ldl(on("2024-01-01", 6.5), on("2024-01-01", 1.2), on("2024-01-01", 0.3, "<")) is None


def test_reported_values_win_over_computed_ones() -> None:
    series = lipid_series(
        {
            Lipid.TOTAL_CHOLESTEROL: [on("2024-01-01", 6.5)],
            Lipid.HDL: [on("2024-01-01", 1.2)],
            Lipid.TRIGLYCERIDES: [on("2024-01-01", 2.2)],
            Lipid.LDL: [on("2024-01-01", 4.1)],
        }
    )
    assert series.ldl == (LipidResult(on("2024-01-01", 0).day, 4.1),)
    assert [r.value for r in series.non_hdl] == [5.3]


def test_same_day_results_are_averaged() -> None:
    series = lipid_series({Lipid.TOTAL_CHOLESTEROL: [on("2024-01-01", 7.0), on("2024-01-01", 8.0)]})
    assert [r.value for r in series.total_cholesterol] == [7.5]
