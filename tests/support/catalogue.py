"""The analyte catalogue of every registered specialty, as the app builds it when it is wired."""

from __future__ import annotations

from app.records.normalise import normalise_record
from app.specialties.registry import analyte_catalogue
from schemas.clinical import ClinicalRecord, SourceRecord

CATALOGUE = analyte_catalogue()


def normalised(source: SourceRecord) -> ClinicalRecord:
    """The canonical record the app makes of ``source``, through every registered specialty's analytes."""
    return normalise_record(source, CATALOGUE)
