"""The lipid analytes as data: codes, mmol/L, the mg/dL each converts from, and the values each can take.

UK laboratories report lipids in mmol/L; US laboratories (and Synthea) in mg/dL. The factors come from the
molar masses: cholesterol 386.65 g/mol gives 38.67 mg/dL per mmol/L for every cholesterol fraction (total,
HDL, LDL, non-HDL); triglyceride, taken as triolein at 885.7 g/mol, gives 88.57. A converted value is
rounded to one decimal place, as a UK laboratory reports it, before any rule compares it: 294 mg/dL total
cholesterol reads 7.6 mmol/L, the number the UK twin of the same sample carries.

A result without a unit is refused rather than guessed (the catalogue's default): a triglyceride of 35 is
plausible in both units.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

from app.records.analytes import AnalyteDefinition, PlausibleRange, UnitConversion


class Lipid(StrEnum):
    """The lipid analytes this specialty reads; the values are their analyte codes."""

    TOTAL_CHOLESTEROL = "total-cholesterol"
    HDL = "hdl-cholesterol"
    LDL = "ldl-cholesterol"
    NON_HDL = "non-hdl-cholesterol"
    TRIGLYCERIDES = "triglycerides"


CANONICAL_UNIT = "mmol/L"
CHOLESTEROL_MG_PER_DL = 38.67
TRIGLYCERIDE_MG_PER_DL = 88.57
REPORTED_PLACES = 1
VALUE_SETS = Path(__file__).parent / "value_sets"
SOURCE = "docs/clinical/lipids.md, 'Units'; molar masses of cholesterol (386.65) and triolein (885.7)"

# Highest plausible mmol/L: untreated homozygous FH reaches about 25-30 total cholesterol; chylomicronaemia
# triglycerides about 100. A larger number is a mg/dL value under the wrong label and is dropped.
_RANGES = {
    Lipid.TOTAL_CHOLESTEROL: ("Total cholesterol", 0.5, 40.0),
    Lipid.HDL: ("HDL cholesterol", 0.1, 6.0),
    Lipid.LDL: ("LDL cholesterol", 0.1, 35.0),
    Lipid.NON_HDL: ("Non-HDL cholesterol", 0.1, 38.0),
    Lipid.TRIGLYCERIDES: ("Triglycerides", 0.1, 100.0),
}
_WHY = "homozygous FH and chylomicronaemia at most; beyond it a mg/dL value under the wrong label"


def mg_per_dl_factor(lipid: Lipid) -> float:
    """How many mg/dL make one mmol/L of this lipid."""
    return TRIGLYCERIDE_MG_PER_DL if lipid is Lipid.TRIGLYCERIDES else CHOLESTEROL_MG_PER_DL


def reported(value: float) -> float:
    """A value rounded half up to one decimal place, as a UK laboratory prints a lipid result."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-REPORTED_PLACES), ROUND_HALF_UP))


def _analyte(lipid: Lipid) -> AnalyteDefinition:
    title, low, high = _RANGES[lipid]
    return AnalyteDefinition(
        code=lipid.value,
        title=title,
        canonical_unit=CANONICAL_UNIT,
        conversions=(
            UnitConversion(("mmol/L", "mmol/litre", "mmol/liter")),
            UnitConversion(
                ("mg/dL", "mg/100mL"), scale=1 / mg_per_dl_factor(lipid), round_to=REPORTED_PLACES
            ),
        ),
        plausible=PlausibleRange(low, high, _WHY),
        value_sets=(str(VALUE_SETS / f"{lipid.value}.json"),),
        source=SOURCE,
    )


LIPID_ANALYTES: tuple[AnalyteDefinition, ...] = tuple(_analyte(lipid) for lipid in Lipid)
