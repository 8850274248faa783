"""What the nephrology patient view shows beyond the summary itself: its charts, the KDIGO grid and labels.

The threshold bands are the ones a GP reads each trend against: the KDIGO G categories for eGFR (boundaries
at 90, 60, 45, 30 and 15), the A categories for urine ACR (3 and 30 mg/mmol), and the patient's own blood
pressure target.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.specialties.base import Specialty
from app.specialties.nephrology.kdigo import kdigo_risk
from app.web.chart import ChartValue, Series, SeriesChart, ThresholdBand, Trend, series_chart
from app.web.templating import clinical_date, words
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


EGFR_BANDS = (
    ThresholdBand(90.0, None, "G1", "band-1"),
    ThresholdBand(60.0, 90.0, "G2", "band-2"),
    ThresholdBand(45.0, 60.0, "G3a", "band-3"),
    ThresholdBand(30.0, 45.0, "G3b", "band-4"),
    ThresholdBand(15.0, 30.0, "G4", "band-5"),
    ThresholdBand(None, 15.0, "G5", "band-6"),
)
ACR_BANDS = (
    ThresholdBand(None, 3.0, "A1", "band-1"),
    ThresholdBand(3.0, 30.0, "A2", "band-3"),
    ThresholdBand(30.0, None, "A3", "band-5"),
)
EGFR_SLOPE_WINDOW_DAYS = 3 * 365


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
class KeyFigure:
    """One headline figure: ``flag`` is "attention" or "urgent" when it needs the consultant's eye."""

    label: str
    value: str
    unit: str | None = None
    flag: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class NephrologyView:
    summary: NephrologySummary
    charts: list[SeriesChart]
    chart_notes: dict[str, str]
    key_figures: list[KeyFigure]
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
        charts=charts_of(summary),
        chart_notes={
            "egfr": "KDIGO categories at 60, 45, 30 and 15; hollow: calculated from creatinine",
            "acr": "Shading: A1 under 3, A2 3 to 30, A3 over 30 mg/mmol",
            "bp": f"Shaded at or above the systolic target of {summary.blood_pressure.target}",
        },
        key_figures=key_figures(summary),
        grid=kdigo_grid(summary.ckd.g_category, summary.ckd.a_category),
        a_ranges=A_RANGES,
        criterion_titles={c.code: c.title for c in specialty.referral_criteria},
        medicine_classes=MEDICINE_CLASSES,
    )


def charts_of(summary: NephrologySummary) -> list[SeriesChart]:
    """eGFR with its slope, urine ACR, and blood pressure: each one drawn only when the record has results."""
    egfr = Series(
        "eGFR",
        "series-main",
        [
            ChartValue(
                p.date, p.value, f"{p.comparator or ''}{p.value:.0f} ({p.origin})", f"point-{p.origin}"
            )
            for p in summary.egfr.series
        ],
    )
    slope = summary.egfr.slope_per_year
    acr = Series(
        "ACR",
        "series-main",
        [ChartValue(p.date, p.value, f"{p.comparator or ''}{p.value:.1f}") for p in summary.acr.series],
        connected=True,
    )
    charts = [
        series_chart(
            "egfr",
            "eGFR",
            "mL/min/1.73m²",
            [egfr],
            EGFR_BANDS,
            None if slope is None else (egfr, Trend(slope, EGFR_SLOPE_WINDOW_DAYS)),
        ),
        series_chart("acr", "Urine ACR", "mg/mmol", [acr], ACR_BANDS),
        _blood_pressure_chart(summary),
    ]
    return [chart for chart in charts if chart is not None]


def _blood_pressure_chart(summary: NephrologySummary) -> SeriesChart | None:
    bp = summary.blood_pressure
    readings = [bp.latest] if bp.latest is not None else []
    # Shaded where the systolic reading is above the patient's target (140/90, or 130/80 with ACR 70+).
    systolic_target = float(bp.target.split("/")[0])
    return series_chart(
        "bp",
        "Blood pressure",
        "mmHg",
        [
            Series(
                "Systolic",
                "series-main",
                [ChartValue(r.date, r.systolic, f"{r.systolic:.0f}") for r in readings],
                True,
            ),
            Series(
                "Diastolic",
                "series-second",
                [ChartValue(r.date, r.diastolic, f"{r.diastolic:.0f}") for r in readings],
                True,
            ),
        ],
        (ThresholdBand(systolic_target, None, f"≥{systolic_target:.0f}", "band-5"),),
    )


def _figure(value: float | None, spelt: str) -> str:
    return "—" if value is None else spelt


def key_figures(summary: NephrologySummary) -> list[KeyFigure]:
    """Latest eGFR, its slope, the CKD category with its KDIGO risk, and the KFRE risks."""
    egfr, ckd, kfre = summary.egfr, summary.ckd, summary.kfre
    slope = egfr.slope_per_year
    risk = ckd.kdigo_risk
    high_risk = risk in (KdigoRisk.HIGH, KdigoRisk.VERY_HIGH)
    category = " ".join(c for c in (ckd.g_category, ckd.a_category) if c) or "—"
    return [
        KeyFigure(
            "Latest eGFR",
            "—" if egfr.latest is None else f"{egfr.latest.value:.0f}",
            None if egfr.latest is None else f"on {clinical_date(egfr.latest.date)}",
        ),
        KeyFigure(
            "eGFR slope",
            _figure(slope, f"{slope or 0:+.1f}"),
            "a year",
            "attention" if egfr.accelerated_progression else None,
            "Accelerated progression" if egfr.accelerated_progression else None,
        ),
        KeyFigure(
            "CKD category",
            category,
            None if risk is None or high_risk else f"{words(risk)} risk",
            "attention" if high_risk else None,
            None if risk is None else f"{words(risk)} risk",
        ),
        KeyFigure("KFRE 2-year", _figure(kfre.two_year_percent, f"{kfre.two_year_percent or 0:.1f}%")),
        KeyFigure("KFRE 5-year", _figure(kfre.five_year_percent, f"{kfre.five_year_percent or 0:.1f}%")),
    ]
