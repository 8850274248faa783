"""The analyte catalogue and the specialty settings of every registered specialty, as the app wires them."""

from __future__ import annotations

from app.records.normalise import normalise_record
from app.specialties.registry import SPECIALTIES, analyte_catalogue
from app.specialties.settings import load_specialty_settings
from schemas.clinical import ClinicalRecord, SourceRecord

CATALOGUE = analyte_catalogue()
DEFAULT_SETTINGS = load_specialty_settings(SPECIALTIES, environ={}, sections={})
"""Every specialty's settings as they are when nothing is configured."""


def normalised(source: SourceRecord) -> ClinicalRecord:
    """The canonical record the app makes of ``source``, through every registered specialty's analytes."""
    return normalise_record(source, CATALOGUE)
