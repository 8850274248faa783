"""Lipid results in mmol/L, whatever unit the laboratory reported them in.

UK laboratories report lipids in mmol/L; US laboratories (and Synthea) in mg/dL. The factors come from the
molar masses: cholesterol 386.65 g/mol gives 38.67 mg/dL per mmol/L for every cholesterol fraction (total,
HDL, LDL, non-HDL); triglyceride, taken as triolein at 885.7 g/mol, gives 88.57. A converted value is
rounded to one decimal place, half up, as a UK laboratory reports it, before any rule compares it: 294 mg/dL
total cholesterol reads 7.6 mmol/L, the number the UK twin of the same sample carries.

A result without a unit is refused rather than guessed: a triglyceride of 35 is plausible in both units.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Lipid(StrEnum):
    """The lipid analytes this specialty reads; the values are their analyte codes."""

    TOTAL_CHOLESTEROL = "total-cholesterol"
    HDL = "hdl-cholesterol"
    LDL = "ldl-cholesterol"
    NON_HDL = "non-hdl-cholesterol"
    TRIGLYCERIDES = "triglycerides"


CANONICAL_UNIT = "mmol/L"
CHOLESTEROL_MG_PER_DL = 38.67
"""mg/dL per mmol/L for every cholesterol fraction (molar mass of cholesterol 386.65 g/mol)."""
TRIGLYCERIDE_MG_PER_DL = 88.57
"""mg/dL per mmol/L for triglyceride (molar mass of triolein 885.7 g/mol)."""
REPORTED_PLACES = 1

_MMOL = frozenset({"mmol/l", "mmol/litre", "mmol/liter", "mmol per litre"})
_MG_DL = frozenset({"mg/dl", "mg/100ml", "mg per decilitre"})


def mg_per_dl_factor(lipid: Lipid) -> float:
    """How many mg/dL make one mmol/L of this lipid."""
    return TRIGLYCERIDE_MG_PER_DL if lipid is Lipid.TRIGLYCERIDES else CHOLESTEROL_MG_PER_DL


def reported(value: float) -> float:
    """A value rounded half up to one decimal place, as a UK laboratory prints a lipid result."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-REPORTED_PLACES), ROUND_HALF_UP))


def to_mmol_per_litre(lipid: Lipid, value: float, unit: str | None) -> float | None:
    """The value in mmol/L, or None when the unit is missing or not a lipid unit (refused, never guessed).

    A value already in mmol/L is kept as the laboratory sent it; a converted one is rounded as reported.
    """
    if unit is None:
        return None
    spelling = unit.strip().lower()
    if spelling in _MMOL:
        return value
    if spelling in _MG_DL:
        return reported(value / mg_per_dl_factor(lipid))
    return None
