"""What nephrology adds to the generic patient panels: the eGFR trend line, the KDIGO grid, and its words.

The eGFR chart draws the least-squares line with the summary's slope through the mean of the last three
years' results, as the trend rule fits it, and shows an eGFR calculated from creatinine as a hollow point.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.specialties.nephrology.kdigo import kdigo_risk
from app.web.chart import Trend
from app.web.specialty_extras import SpecialtyExtras
from schemas.api.nephrology import ACategory, EgfrOrigin, GCategory, KdigoRisk, NephrologySummary
from schemas.api.summary import ResultValue, SpecialtySummary

G_RANGES = {
    GCategory.G1: "≥ 90",
    GCategory.G2: "60-89",
    GCategory.G3A: "45-59",
    GCategory.G3B: "30-44",
    GCategory.G4: "15-29",
    GCategory.G5: "< 15",
}
A_RANGES = {ACategory.A1: "< 3 mg/mmol", ACategory.A2: "3-30 mg/mmol", ACategory.A3: "> 30 mg/mmol"}
MEDICINE_CLASSES = {
    "acei": "ACE inhibitor",
    "arb": "ARB",
    "sglt2i": "SGLT2 inhibitor",
    "mra": "MRA",
    "finerenone": "Finerenone",
    "statin": "Statin",
    "nsaid": "NSAID",
    "metformin": "Metformin",
    "loop-diuretic": "Loop diuretic",
    "thiazide": "Thiazide",
    "beta-blocker": "Beta blocker",
    "ccb": "Calcium channel blocker",
    "alpha-blocker": "Alpha blocker",
}
EGFR_SLOPE_WINDOW_DAYS = 3 * 365
CHART_NOTES = {
    "egfr": "Shading: KDIGO categories at 90, 60, 45, 30 and 15; hollow: calculated from creatinine",
    "acr": "Shading: A1 under 3, A2 3 to 30, A3 over 30 mg/mmol",
}


@dataclass(frozen=True, slots=True)
class GridCell:
    a_category: ACategory
    risk: KdigoRisk
    is_patient: bool


@dataclass(frozen=True, slots=True)
class GridRow:
    g_category: GCategory
    egfr_range: str
    cells: list[GridCell]


def kdigo_grid(g: GCategory | None, a: ACategory | None) -> list[GridRow]:
    """The KDIGO prognosis grid, G1 to G5 by A1 to A3, with the patient's cell marked."""
    return [
        GridRow(
            row,
            G_RANGES[row],
            [GridCell(column, kdigo_risk(row, column), row is g and column is a) for column in ACategory],
        )
        for row in GCategory
    ]


def nephrology_extras(summary: SpecialtySummary) -> SpecialtyExtras:
    assert isinstance(summary, NephrologySummary)
    slope = summary.egfr.slope_per_year
    calculated = {
        (point.date, point.value) for point in summary.egfr.series if point.origin is EgfrOrigin.CALCULATED
    }

    def point_class(analyte: str, result: ResultValue) -> str:
        return "point-calculated" if analyte == "egfr" and (result.date, result.value) in calculated else ""

    return SpecialtyExtras(
        trends={"egfr": None if slope is None else Trend(slope, EGFR_SLOPE_WINDOW_DAYS)},
        point_class=point_class,
        chart_notes=CHART_NOTES
        | {"blood-pressure-panel": f"This patient's target: below {summary.blood_pressure.target}"},
        medicine_classes=MEDICINE_CLASSES,
        context={
            "grid": kdigo_grid(summary.ckd.g_category, summary.ckd.a_category),
            "a_ranges": A_RANGES,
        },
    )
