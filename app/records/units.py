"""Units: conversion to ``CANONICAL_UNITS`` and the plausible range of each analyte.

Factors (CLINICAL.md, "Units and codes"): creatinine umol/L = mg/dL * 88.4; ACR mg/mmol = mg/g / 8.84;
HbA1c mmol/mol = (% - 2.15) * 10.929 (the IFCC-NGSP master equation); haemoglobin g/L = g/dL * 10.
Potassium mEq/L equals mmol/L because the ion is monovalent.

A value whose converted result falls outside its analyte's plausible range is dropped, never rescaled by
guess: a creatinine of 1.2 labelled umol/L is almost certainly a mg/dL value with the wrong label, but
"almost" is not good enough for a number a consultant acts on. An unrecognised unit is dropped the same way.

Every conversion is increasing, so a comparator (``>90``) keeps its direction after conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from schemas.clinical import CANONICAL_UNITS, Analyte


@dataclass(frozen=True, slots=True)
class PlausibleRange:
    """Inclusive bounds in the canonical unit, and the reason for them."""

    low: float
    high: float
    why: str


PLAUSIBLE_RANGES: Mapping[Analyte, PlausibleRange] = MappingProxyType(
    {
        Analyte.EGFR: PlausibleRange(
            1.0,
            250.0,
            "CKD-EPI gives about 1 at the highest creatinine a laboratory reports; no human kidney filters "
            "250 mL/min/1.73m2, even in hyperfiltration",
        ),
        Analyte.CREATININE: PlausibleRange(
            10.0,
            3000.0,
            "below 10 umol/L is a mg/dL value under the wrong label (normal 0.6-1.2 mg/dL); "
            "above 3000 umol/L is beyond untreated end-stage renal failure",
        ),
        Analyte.ACR: PlausibleRange(
            0.01,
            3000.0,
            "laboratories report results below their detection limit as '<x', never a bare zero, and "
            "KFRE takes its logarithm; above 3000 mg/mmol exceeds the heaviest nephrotic proteinuria",
        ),
        Analyte.POTASSIUM: PlausibleRange(
            1.5,
            10.0,
            "outside 1.5-10 mmol/L is incompatible with life or a haemolysed sample the laboratory rejects",
        ),
        Analyte.HAEMOGLOBIN: PlausibleRange(
            30.0,
            250.0,
            "below 30 g/L is a g/dL value under the wrong label (normal 12-17 g/dL) or incompatible "
            "with life; above 250 g/L exceeds the most extreme polycythaemia",
        ),
        Analyte.HBA1C: PlausibleRange(
            15.0,
            200.0,
            "assays report 3.5-20 % (15-195 mmol/mol); a value below 15 is a % value under the wrong label",
        ),
        Analyte.SYSTOLIC_BP: PlausibleRange(
            50.0,
            300.0,
            "below 50 mmHg is unrecordable by a cuff; above 300 mmHg exceeds any measured "
            "hypertensive crisis",
        ),
        Analyte.DIASTOLIC_BP: PlausibleRange(
            20.0,
            200.0,
            "below 20 mmHg is a transcription error in a sitting adult; above 200 mmHg is never recorded",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class UnitConversion:
    """From one upstream unit to the canonical unit: ``(value + shift) * scale``, then range-checked.

    The range is carried here so the normaliser reads everything it needs from one object per (analyte, unit).
    """

    unit: str
    shift: float
    scale: float
    low: float
    high: float

    def convert(self, value: float) -> float:
        return (value + self.shift) * self.scale

    def plausible(self, canonical_value: float) -> bool:
        return self.low <= canonical_value <= self.high


_IDENTITY = (0.0, 1.0)

# Unit spellings are matched after ``unit_key``: case folded, spaces dropped, micro signs as "u", "²" as "2".
_SPELLINGS: dict[Analyte, dict[tuple[str, ...], tuple[float, float]]] = {
    Analyte.EGFR: {
        (
            "ml/min/{1.73_m2}",
            "ml/min/1.73m2",
            "ml/min/1.73_m2",
            "ml/min/{1.73m2}",
            "ml/min/1.73m^2",
            "ml/min/1.73sqm",
            "ml/min/1.73",
            "ml/min/1.73msq",
            "ml/min/(1.73m2)",
        ): _IDENTITY,
    },
    Analyte.CREATININE: {
        ("umol/l", "micromol/l", "micromoles/l", "umol/litre"): _IDENTITY,
        ("mg/dl",): (0.0, 88.4),
    },
    Analyte.ACR: {
        ("mg/mmol", "mg/mmol{creat}", "mg/mmolcreat", "mg/mmol{creatinine}"): _IDENTITY,
        ("mg/g", "mg/g{creat}", "mg/gcreat", "mg/g{creatinine}"): (0.0, 1 / 8.84),
    },
    Analyte.POTASSIUM: {
        ("mmol/l", "meq/l"): _IDENTITY,
    },
    Analyte.HAEMOGLOBIN: {
        ("g/l",): _IDENTITY,
        ("g/dl",): (0.0, 10.0),
    },
    Analyte.HBA1C: {
        ("mmol/mol", "mmol/mol{hb}", "mmol/mol{hba1c}"): _IDENTITY,
        ("%", "%{hb}", "%{hba1c}", "percent"): (-2.15, 10.929),
    },
    Analyte.SYSTOLIC_BP: {("mm[hg]", "mmhg"): _IDENTITY},
    Analyte.DIASTOLIC_BP: {("mm[hg]", "mmhg"): _IDENTITY},
}


def unit_key(unit: str) -> str:
    """The spelling-insensitive form of a unit: ``µmol/L``, ``umol/l`` and ``μmol / L`` give the same key."""
    return (
        unit.strip()
        .lower()
        .replace(" ", "")
        .replace("\u00b5", "u")
        .replace("\u03bc", "u")
        .replace("\u00b2", "2")
    )


def _conversions() -> dict[tuple[Analyte, str], UnitConversion]:
    table: dict[tuple[Analyte, str], UnitConversion] = {}
    for analyte, groups in _SPELLINGS.items():
        bounds = PLAUSIBLE_RANGES[analyte]
        for spellings, (shift, scale) in groups.items():
            conversion = UnitConversion(CANONICAL_UNITS[analyte], shift, scale, bounds.low, bounds.high)
            for spelling in spellings:
                table[(analyte, spelling)] = conversion
    return table


_BY_KEY = _conversions()


def conversion_for(analyte: Analyte, unit: str | None) -> UnitConversion | None:
    """How to bring ``unit`` to the analyte's canonical unit, or None when the unit is missing or unknown."""
    if unit is None:
        return None
    return _BY_KEY.get((analyte, unit_key(unit)))
