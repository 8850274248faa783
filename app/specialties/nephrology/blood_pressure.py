"""Blood pressure target in CKD (NICE NG203, recommendations on blood pressure control).

Below 140/90 mmHg; below 130/80 when the urine ACR is 70 mg/mmol or more. A reading is above target when its
systolic or its diastolic is at or above the target's. Without any ACR the general CKD target (140/90)
applies, as NG203 sets the lower one only on a known ACR of 70 or more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.specialties.nephrology.dates import epoch_seconds
from app.specialties.nephrology.results import lowest_possible
from schemas.clinical import BloodPressure, Measurement

ACR_FOR_LOWER_TARGET = 70.0


@dataclass(frozen=True, slots=True)
class BloodPressureTarget:
    label: Literal["140/90", "130/80"]
    systolic: float
    diastolic: float


STANDARD_TARGET = BloodPressureTarget("140/90", 140.0, 90.0)
LOWER_TARGET = BloodPressureTarget("130/80", 130.0, 80.0)


@dataclass(frozen=True, slots=True)
class BloodPressureAssessment:
    latest: BloodPressure | None
    target: BloodPressureTarget
    above_target: bool | None


def blood_pressure_target(latest_acr: Measurement | None) -> BloodPressureTarget:
    """130/80 when the latest ACR is at least 70 mg/mmol, else 140/90 (NICE NG203)."""
    if (
        latest_acr is not None
        and lowest_possible(latest_acr.value, latest_acr.comparator) >= ACR_FOR_LOWER_TARGET
    ):
        return LOWER_TARGET
    return STANDARD_TARGET


def is_above_target(reading: BloodPressure, target: BloodPressureTarget) -> bool:
    """True when systolic or diastolic is at or above the target's (the target is "below" it)."""
    return reading.systolic >= target.systolic or reading.diastolic >= target.diastolic


def assess_blood_pressure(
    readings: Sequence[BloodPressure], *, latest_acr: Measurement | None
) -> BloodPressureAssessment:
    """The latest reading against the target the latest ACR sets."""
    target = blood_pressure_target(latest_acr)
    latest = max(readings, key=lambda reading: epoch_seconds(reading.taken_at), default=None)
    return BloodPressureAssessment(
        latest, target, None if latest is None else is_above_target(latest, target)
    )
