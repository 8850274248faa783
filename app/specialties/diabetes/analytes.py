"""What the diabetes clinic reads: shared HbA1c, eGFR, ACR and blood pressure, and its own fasting glucose."""

from __future__ import annotations

from pathlib import Path

from app.records.analytes import AnalyteDefinition, PlausibleRange, UnitConversion
from app.specialties.analytes import ACR, BLOOD_PRESSURE, EGFR, HBA1C
from app.specialties.diabetes.units import GLUCOSE_MG_DL_PER_MMOL_L

FASTING_GLUCOSE = AnalyteDefinition(
    code="fasting-glucose",
    title="Fasting glucose",
    canonical_unit="mmol/L",
    conversions=(
        UnitConversion(("mmol/L", "mmol/L{glucose}")),
        UnitConversion(("mg/dL", "mg/dL{glucose}"), scale=1 / float(GLUCOSE_MG_DL_PER_MMOL_L), round_to=1),
    ),
    plausible=PlausibleRange(
        0.5,
        100.0,
        "below 0.5 mmol/L is no living patient's glucose; above 100 mmol/L exceeds any reported "
        "hyperosmolar state and is a mg/dL value under the wrong label",
    ),
    value_sets=(str(Path(__file__).parent / "value_sets" / "fasting-glucose.json"),),
    source="mmol/L = mg/dL / 18.016 (glucose 180.16 g/mol); docs/clinical/diabetes.md",
)

DIABETES_ANALYTES: tuple[AnalyteDefinition, ...] = (HBA1C, FASTING_GLUCOSE, EGFR, ACR, *BLOOD_PRESSURE)
