"""HbA1c and glucose in the units the rules compare, rounded as a UK laboratory reports them.

HbA1c: IFCC mmol/mol = (DCCT % - 2.15) * 10.929, the IFCC-NGSP master equation (information.ifcchba1c.org),
reported as a whole number, halves rounded up. Every comparison is on that whole number: 6.5 % is 47.54 by
the equation and 48 as the laboratory prints it, so it meets "48 or more" as NICE's pairing 48 = 6.5 % says.
Glucose: mmol/L = mg/dL / 18.016 (molar mass of glucose 180.16 g/mol), reported to one decimal place.
A result whose unit is missing or unknown is refused (None), never guessed.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

IFCC_SLOPE = Decimal("10.929")
DCCT_OFFSET = Decimal("2.15")
NGSP_SLOPE = Decimal("0.0915")
GLUCOSE_MG_DL_PER_MMOL_L = Decimal("18.016")

HBA1C_MMOL_MOL_UNITS = frozenset({"mmol/mol", "mmol/mol{hb}", "mmol/mol{hba1c}", "mmol/mol hb"})
HBA1C_PERCENT_UNITS = frozenset({"%", "%{hb}", "%{hba1c}", "% hb", "percent", "%{total}"})
GLUCOSE_MMOL_L_UNITS = frozenset({"mmol/l", "mmol/l{glucose}"})
GLUCOSE_MG_DL_UNITS = frozenset({"mg/dl", "mg/dl{glucose}"})


def _half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _exact(value: float) -> Decimal:
    """The decimal a result was reported as (0.1 stays 0.1, not its binary neighbour)."""
    return Decimal(repr(value))


def lab_rounded_hba1c(mmol_mol: float) -> int:
    """An IFCC HbA1c as a laboratory reports it: a whole number, halves rounded up."""
    # Away from a half, float rounding agrees with the decimal's; only a near-half needs the slow exact path.
    if abs(mmol_mol % 1 - 0.5) > 1e-6:
        return math.floor(mmol_mol + 0.5)
    return int(_half_up(_exact(mmol_mol), 0))


@cache
def hba1c_mmol_mol_from_percent(percent: float) -> int:
    """DCCT % to the IFCC mmol/mol the laboratory would report (6.5 -> 48, 7.5 -> 58, 9.0 -> 75)."""
    return int(_half_up((_exact(percent) - DCCT_OFFSET) * IFCC_SLOPE, 0))


@cache
def hba1c_percent_from_mmol_mol(mmol_mol: float) -> float:
    """IFCC mmol/mol to DCCT % to one decimal place, for evidence text (48 -> 6.5, 75 -> 9.0)."""
    return float(_half_up(NGSP_SLOPE * _exact(mmol_mol) + DCCT_OFFSET, 1))


def hba1c_mmol_mol(value: float, unit: str | None) -> int | None:
    """A reported HbA1c in whole mmol/mol, or None when its unit is missing or not an HbA1c unit."""
    spelled = (unit or "").strip().lower()
    if spelled in HBA1C_MMOL_MOL_UNITS:
        return lab_rounded_hba1c(value)
    if spelled in HBA1C_PERCENT_UNITS:
        return hba1c_mmol_mol_from_percent(value)
    return None


def glucose_mmol_l(value: float, unit: str | None) -> float | None:
    """A reported glucose in mmol/L to one decimal place (126 mg/dL -> 7.0), or None for an unknown unit."""
    spelled = (unit or "").strip().lower()
    if spelled in GLUCOSE_MMOL_L_UNITS:
        return float(_half_up(_exact(value), 1))
    if spelled in GLUCOSE_MG_DL_UNITS:
        return float(_half_up(_exact(value) / GLUCOSE_MG_DL_PER_MMOL_L, 1))
    return None
