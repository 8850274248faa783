"""What the nephrology patient view shows beyond the summary itself: the KDIGO grid and readable labels."""

from __future__ import annotations

from dataclasses import dataclass

from app.specialties.base import Specialty
from app.specialties.nephrology.kdigo import kdigo_risk
from app.web.chart import EgfrChart, egfr_chart
from schemas.api.nephrology import ACategory, GCategory, KdigoRisk, NephrologySummary

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


@dataclass(frozen=True, slots=True)
class NephrologyView:
    summary: NephrologySummary
    chart: EgfrChart | None
    grid: list[GridRow]
    a_ranges: dict[ACategory, str]
    criterion_titles: dict[str, str]
    medicine_classes: dict[str, str]


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


def nephrology_view(summary: NephrologySummary, specialty: Specialty) -> NephrologyView:
    return NephrologyView(
        summary=summary,
        chart=egfr_chart(summary.egfr.series, summary.egfr.slope_per_year),
        grid=kdigo_grid(summary.ckd.g_category, summary.ckd.a_category),
        a_ranges=A_RANGES,
        criterion_titles={c.code: c.title for c in specialty.referral_criteria},
        medicine_classes=MEDICINE_CLASSES,
    )
