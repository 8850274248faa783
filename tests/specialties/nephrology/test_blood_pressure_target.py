"""NICE NG203 blood pressure target: below 140/90, below 130/80 with ACR 70 or more."""

from __future__ import annotations

import pytest

from app.specialties.nephrology.blood_pressure import assess_blood_pressure, blood_pressure_target
from tests.specialties.nephrology.factories import acr, blood_pressure


def test_without_an_acr_the_target_is_140_90() -> None:
    assert blood_pressure_target(None).label == "140/90"


def test_an_acr_of_exactly_70_lowers_the_target_to_130_80() -> None:
    assert blood_pressure_target(acr("2024-01-01", 70)).label == "130/80"


def test_an_acr_of_69_9_keeps_the_target_at_140_90() -> None:
    assert blood_pressure_target(acr("2024-01-01", 69.9)).label == "140/90"


@pytest.mark.parametrize(
    ("systolic", "diastolic", "above"),
    [(139, 89, False), (140, 80, True), (120, 90, True), (160, 100, True)],
)
def test_a_reading_at_the_target_is_above_it(systolic: float, diastolic: float, above: bool) -> None:
    found = assess_blood_pressure([blood_pressure("2024-01-01", systolic, diastolic)], latest_acr=None)
    assert found.above_target is above


@pytest.mark.parametrize(
    ("systolic", "diastolic", "above"), [(129, 79, False), (130, 70, True), (120, 80, True)]
)
def test_the_lower_target_applies_with_acr_of_70(systolic: float, diastolic: float, above: bool) -> None:
    reading = blood_pressure("2024-01-01", systolic, diastolic)
    assert assess_blood_pressure([reading], latest_acr=acr("2024-01-01", 85)).above_target is above


def test_the_latest_reading_is_the_one_judged() -> None:
    readings = [blood_pressure("2024-03-01", 128, 78), blood_pressure("2024-01-01", 165, 95)]
    found = assess_blood_pressure(readings, latest_acr=None)
    assert found.latest is readings[0]
    assert found.above_target is False


def test_no_reading_means_no_judgement() -> None:
    found = assess_blood_pressure([], latest_acr=None)
    assert (found.latest, found.above_target, found.target.label) == (None, None, "140/90")
