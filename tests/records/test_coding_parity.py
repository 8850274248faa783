"""One clinical fact, coded the US way (LOINC, conventional units) or the UK way (SNOMED, SI units),
normalises to the same measurement.

Tolerances come from the rounding of the reported values, not from the conversion: a laboratory reports
creatinine to 0.01 mg/dL (half a step is 0.005 x 88.4 = 0.442 umol/L), ACR to 0.1 mg/g (0.05 / 8.84 = 0.0057
mg/mmol) and HbA1c to 0.1 % (0.05 x 10.929 = 0.55 mmol/mol); haemoglobin g/dL to g/L is exact.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.clinical import (
    LOINC,
    SNOMED,
    Coding,
    Sex,
    SourceObservation,
    SourcePatient,
    SourceRecord,
)
from tests.support.catalogue import normalised

WHEN = datetime(2020, 9, 17, 8, 15, tzinfo=UTC)


def normalised_value(system: str, code: str, value: float, unit: str, analyte: str) -> float:
    observation = SourceObservation("obs-1", (Coding(system, code),), "final", WHEN, value, unit)
    patient = SourcePatient("pat-1", "9434765919", None, None, Sex.UNKNOWN)
    record = normalised(SourceRecord("A12345", "test", patient, observations=[observation]))
    [measurement] = record.series(analyte)
    assert measurement.taken_at == WHEN
    return measurement.value


@pytest.mark.parametrize(
    ("analyte", "us", "uk", "tolerance"),
    [
        ("creatinine", ("38483-4", 1.72, "mg/dL"), ("1000731000000107", 152.0, "umol/L"), 0.442),
        ("creatinine", ("2160-0", 1.72, "mg/dL"), ("1001011000000107", 152.0, "µmol/L"), 0.442),
        ("acr", ("14959-1", 37.1, "mg/g"), ("1023491000000104", 4.2, "mg/mmol"), 0.0057),
        ("haemoglobin", ("718-7", 13.5, "g/dL"), ("1022431000000105", 135.0, "g/L"), 1e-9),
        ("hba1c", ("4548-4", 6.5, "%"), ("999791000000106", 48.0, "mmol/mol"), 0.55),
    ],
)
def test_a_loinc_result_in_conventional_units_matches_the_snomed_result_in_si_units(
    analyte: str, us: tuple[str, float, str], uk: tuple[str, float, str], tolerance: float
) -> None:
    us_value = normalised_value(LOINC, *us, analyte)
    uk_value = normalised_value(SNOMED, *uk, analyte)

    assert us_value == pytest.approx(uk_value, abs=tolerance)
