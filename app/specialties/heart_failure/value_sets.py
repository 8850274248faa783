"""Heart-failure value sets: FHIR R4 ValueSet files in ``value_sets/``, matched by code or display pattern."""

from app.specialties.heart_failure.rules import FOLDER

value_set = FOLDER.value_set
