"""KDIGO G and A categories at their exact boundaries, censored results, and the risk grid."""

from __future__ import annotations

import pytest

from app.specialties.nephrology.kdigo import a_category, a_category_of, g_category, g_category_of, kdigo_risk
from schemas.api.nephrology import ACategory, GCategory, KdigoRisk


def test_egfr_of_exactly_60_is_g2() -> None:
    assert g_category(60.0) is GCategory.G2


def test_egfr_of_59_99_is_g3a() -> None:
    assert g_category(59.99) is GCategory.G3A


@pytest.mark.parametrize(
    ("egfr", "category"),
    [
        (120.0, GCategory.G1),
        (90.0, GCategory.G1),
        (89.99, GCategory.G2),
        (45.0, GCategory.G3A),
        (44.99, GCategory.G3B),
        (30.0, GCategory.G3B),
        (29.99, GCategory.G4),
        (15.0, GCategory.G4),
        (14.99, GCategory.G5),
        (4.0, GCategory.G5),
    ],
)
def test_g_category_boundaries_belong_to_the_better_category(egfr: float, category: GCategory) -> None:
    assert g_category(egfr) is category


def test_acr_of_exactly_30_is_a2() -> None:
    assert a_category(30.0) is ACategory.A2


def test_acr_of_exactly_3_is_a2() -> None:
    assert a_category(3.0) is ACategory.A2


def test_acr_of_2_99_is_a1() -> None:
    assert a_category(2.99) is ACategory.A1


def test_acr_of_30_01_is_a3() -> None:
    assert a_category(30.01) is ACategory.A3


def test_egfr_reported_as_over_90_is_g1() -> None:
    assert g_category_of(90.0, ">") is GCategory.G1


def test_egfr_reported_as_over_60_fixes_no_g_category() -> None:
    assert g_category_of(60.0, ">") is None


def test_acr_reported_as_under_3_is_a1() -> None:
    assert a_category_of(3.0, "<") is ACategory.A1


def test_acr_reported_as_at_most_3_fixes_no_a_category() -> None:
    assert a_category_of(3.0, "<=") is None


RISK_GRID = {
    GCategory.G1: ("low", "moderate", "high"),
    GCategory.G2: ("low", "moderate", "high"),
    GCategory.G3A: ("moderate", "high", "very-high"),
    GCategory.G3B: ("high", "very-high", "very-high"),
    GCategory.G4: ("very-high", "very-high", "very-high"),
    GCategory.G5: ("very-high", "very-high", "very-high"),
}


@pytest.mark.parametrize("g", list(GCategory))
@pytest.mark.parametrize("a", list(ACategory))
def test_kdigo_risk_follows_the_heat_map(g: GCategory, a: ACategory) -> None:
    expected = RISK_GRID[g][list(ACategory).index(a)]
    assert kdigo_risk(g, a) is KdigoRisk(expected)
