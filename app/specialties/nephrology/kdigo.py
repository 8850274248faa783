"""KDIGO CKD categories and the risk heat map (KDIGO 2012 CKD guideline, kept in KDIGO 2024).

G from eGFR (mL/min/1.73m²): G1 ≥ 90, G2 60-<90, G3a 45-<60, G3b 30-<45, G4 15-<30, G5 < 15.
A from urine ACR (mg/mmol): A1 < 3, A2 3-30 (30 itself is A2), A3 > 30.
Boundaries are compared as real numbers, never rounded first: 59.99 is G3a, 60 is G2.
"""

from __future__ import annotations

from app.specialties.nephrology.results import highest_possible, lowest_possible
from schemas.api.nephrology import ACategory, GCategory, KdigoRisk

_G_FLOORS: tuple[tuple[float, GCategory], ...] = (
    (90.0, GCategory.G1),
    (60.0, GCategory.G2),
    (45.0, GCategory.G3A),
    (30.0, GCategory.G3B),
    (15.0, GCategory.G4),
)

G_ORDER: tuple[GCategory, ...] = tuple(GCategory)
"""G1 first: a later index is a worse category."""

_RISK: dict[tuple[GCategory, ACategory], KdigoRisk] = {
    (GCategory.G1, ACategory.A1): KdigoRisk.LOW,
    (GCategory.G2, ACategory.A1): KdigoRisk.LOW,
    (GCategory.G1, ACategory.A2): KdigoRisk.MODERATE,
    (GCategory.G2, ACategory.A2): KdigoRisk.MODERATE,
    (GCategory.G3A, ACategory.A1): KdigoRisk.MODERATE,
    (GCategory.G1, ACategory.A3): KdigoRisk.HIGH,
    (GCategory.G2, ACategory.A3): KdigoRisk.HIGH,
    (GCategory.G3A, ACategory.A2): KdigoRisk.HIGH,
    (GCategory.G3B, ACategory.A1): KdigoRisk.HIGH,
}


def g_category(egfr: float) -> GCategory:
    """The KDIGO G category of an eGFR in mL/min/1.73m²."""
    for floor, category in _G_FLOORS:
        if egfr >= floor:
            return category
    return GCategory.G5


def a_category(acr_mg_mmol: float) -> ACategory:
    """The KDIGO A category of a urine ACR in mg/mmol (A2 is 3-30 inclusive)."""
    if acr_mg_mmol < 3.0:
        return ACategory.A1
    if acr_mg_mmol <= 30.0:
        return ACategory.A2
    return ACategory.A3


def kdigo_risk(g: GCategory, a: ACategory) -> KdigoRisk:
    """The heat-map colour of a G and A pair (KDIGO prognosis grid); every pair not listed is very high."""
    return _RISK.get((g, a), KdigoRisk.VERY_HIGH)


def g_category_of(egfr: float, comparator: str | None) -> GCategory | None:
    """The G category of a possibly censored eGFR, or None when the bound spans two (``>60``)."""
    lowest = g_category(lowest_possible(egfr, comparator))
    return lowest if lowest == g_category(highest_possible(egfr, comparator)) else None


def a_category_of(acr_mg_mmol: float, comparator: str | None) -> ACategory | None:
    """The A category of a possibly censored ACR, or None when the bound spans two (``<5``)."""
    lowest = a_category(lowest_possible(acr_mg_mmol, comparator))
    return lowest if lowest == a_category(highest_possible(acr_mg_mmol, comparator)) else None


def is_worse(later: GCategory, earlier: GCategory) -> bool:
    """True when ``later`` is a worse (lower-function) G category than ``earlier``."""
    return G_ORDER.index(later) > G_ORDER.index(earlier)
