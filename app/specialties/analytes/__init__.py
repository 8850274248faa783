"""Analytes more than one specialty reads, declared once: definitions here, code lists in ``value_sets/``.

Units and factors from CLINICAL.md ("Units and codes"): creatinine umol/L = mg/dL * 88.4; ACR mg/mmol =
mg/g / 8.84; HbA1c mmol/mol = (% - 2.15) * 10.929 (the IFCC-NGSP master equation); haemoglobin g/L =
g/dL * 10.
Potassium mEq/L equals mmol/L because the ion is monovalent.
"""

from __future__ import annotations

from pathlib import Path

from app.records.analytes import AnalyteDefinition, PlausibleRange, UnitConversion

_VALUE_SETS = Path(__file__).parent / "value_sets"
CLINICAL_UNITS = 'CLINICAL.md, "Units and codes"'
MMHG = UnitConversion(("mm[Hg]", "mmHg"))


def value_set(name: str) -> str:
    """The path of a shared value-set file, by its name without ``.json``."""
    return str(_VALUE_SETS / f"{name}.json")


EGFR = AnalyteDefinition(
    code="egfr",
    title="eGFR",
    canonical_unit="mL/min/1.73m2",
    conversions=(
        UnitConversion(
            (
                "mL/min/{1.73_m2}",
                "mL/min/1.73m2",
                "mL/min/1.73_m2",
                "mL/min/{1.73m2}",
                "mL/min/1.73m^2",
                "mL/min/1.73sqm",
                "mL/min/1.73",
                "mL/min/1.73msq",
                "mL/min/(1.73m2)",
            )
        ),
    ),
    plausible=PlausibleRange(
        1.0,
        250.0,
        "CKD-EPI gives about 1 at the highest creatinine a laboratory reports; no human kidney filters "
        "250 mL/min/1.73m2, even in hyperfiltration",
    ),
    value_sets=(value_set("egfr"),),
    source=CLINICAL_UNITS,
)
CREATININE = AnalyteDefinition(
    code="creatinine",
    title="Creatinine",
    canonical_unit="umol/L",
    conversions=(
        UnitConversion(("umol/L", "micromol/L", "micromoles/L", "umol/litre")),
        UnitConversion(("mg/dL",), scale=88.4),
    ),
    plausible=PlausibleRange(
        10.0,
        3000.0,
        "below 10 umol/L is a mg/dL value under the wrong label (normal 0.6-1.2 mg/dL); "
        "above 3000 umol/L is beyond untreated end-stage renal failure",
    ),
    value_sets=(value_set("creatinine"),),
    source=CLINICAL_UNITS,
)
ACR = AnalyteDefinition(
    code="acr",
    title="Urine ACR",
    canonical_unit="mg/mmol",
    conversions=(
        UnitConversion(("mg/mmol", "mg/mmol{creat}", "mg/mmolcreat", "mg/mmol{creatinine}")),
        UnitConversion(("mg/g", "mg/g{creat}", "mg/gcreat", "mg/g{creatinine}"), scale=1 / 8.84),
    ),
    plausible=PlausibleRange(
        0.01,
        3000.0,
        "laboratories report results below their detection limit as '<x', never a bare zero, and "
        "KFRE takes its logarithm; above 3000 mg/mmol exceeds the heaviest nephrotic proteinuria",
    ),
    value_sets=(value_set("acr"),),
    source=CLINICAL_UNITS,
)
POTASSIUM = AnalyteDefinition(
    code="potassium",
    title="Potassium",
    canonical_unit="mmol/L",
    conversions=(UnitConversion(("mmol/L", "mEq/L")),),
    plausible=PlausibleRange(
        1.5,
        10.0,
        "outside 1.5-10 mmol/L is incompatible with life or a haemolysed sample the laboratory rejects",
    ),
    value_sets=(value_set("potassium"),),
    source=CLINICAL_UNITS,
)
HAEMOGLOBIN = AnalyteDefinition(
    code="haemoglobin",
    title="Haemoglobin",
    canonical_unit="g/L",
    conversions=(UnitConversion(("g/L",)), UnitConversion(("g/dL",), scale=10.0)),
    plausible=PlausibleRange(
        30.0,
        250.0,
        "below 30 g/L is a g/dL value under the wrong label (normal 12-17 g/dL) or incompatible "
        "with life; above 250 g/L exceeds the most extreme polycythaemia",
    ),
    value_sets=(value_set("haemoglobin"),),
    source=CLINICAL_UNITS,
)
HBA1C = AnalyteDefinition(
    code="hba1c",
    title="HbA1c",
    canonical_unit="mmol/mol",
    conversions=(
        UnitConversion(("mmol/mol", "mmol/mol{Hb}", "mmol/mol{HbA1c}")),
        UnitConversion(("%", "%{Hb}", "%{HbA1c}", "percent"), scale=10.929, offset=-2.15),
    ),
    plausible=PlausibleRange(
        15.0,
        200.0,
        "assays report 3.5-20 % (15-195 mmol/mol); a value below 15 is a % value under the wrong label",
    ),
    value_sets=(value_set("hba1c"),),
    source=CLINICAL_UNITS,
)
SYSTOLIC_BP = AnalyteDefinition(
    code="systolic-bp",
    title="Systolic blood pressure",
    canonical_unit="mm[Hg]",
    conversions=(MMHG,),
    plausible=PlausibleRange(
        50.0,
        300.0,
        "below 50 mmHg is unrecordable by a cuff; above 300 mmHg exceeds any measured hypertensive crisis",
    ),
    value_sets=(value_set("systolic-bp"),),
    source=CLINICAL_UNITS,
    component_of="blood-pressure-panel",
)
DIASTOLIC_BP = AnalyteDefinition(
    code="diastolic-bp",
    title="Diastolic blood pressure",
    canonical_unit="mm[Hg]",
    conversions=(MMHG,),
    plausible=PlausibleRange(
        20.0,
        200.0,
        "below 20 mmHg is a transcription error in a sitting adult; above 200 mmHg is never recorded",
    ),
    value_sets=(value_set("diastolic-bp"),),
    source=CLINICAL_UNITS,
    component_of="blood-pressure-panel",
)
# GP Connect sends a reading as one Observation with systolic and diastolic components under a header code;
# without a recognised header it MUST use 75367002 |Blood pressure| (GP Connect Access Record Structured,
# "Observation - blood pressure"); 163020007 |O/E - blood pressure reading| is the usual one. The header
# carries no value of its own, so it has no conversions.
BLOOD_PRESSURE_PANEL = AnalyteDefinition(
    code="blood-pressure-panel",
    title="Blood pressure",
    canonical_unit="mm[Hg]",
    conversions=(),
    plausible=PlausibleRange(20.0, 300.0, "the widest of its components' ranges"),
    value_sets=(value_set("blood-pressure-panel"),),
    source=CLINICAL_UNITS,
)
BLOOD_PRESSURE = (SYSTOLIC_BP, DIASTOLIC_BP, BLOOD_PRESSURE_PANEL)
"""A blood-pressure reading, however it is sent: standalone results or a panel's components."""
