"""Heart-failure value sets: FHIR R4 ValueSet files in ``value_sets/``, matched by code or display pattern."""

from __future__ import annotations

from pathlib import Path

from app.specialties.value_sets import ValueSet, value_set_in

FOLDER = Path(__file__).parent / "value_sets"


def value_set(name: str) -> ValueSet:
    return value_set_in(FOLDER, name)
