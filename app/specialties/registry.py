"""The one place specialties are registered: code → plug-in, and the analytes they read between them."""

from __future__ import annotations

from app.core.errors import NotFound
from app.records.analytes import AnalyteCatalogue
from app.specialties.base import Specialty
from app.specialties.nephrology.plugin import NEPHROLOGY

SPECIALTIES: dict[str, Specialty] = {specialty.code: specialty for specialty in (NEPHROLOGY,)}


def get_specialty(code: str) -> Specialty:
    specialty = SPECIALTIES.get(code)
    if specialty is None:
        raise NotFound(f"no specialty {code!r}; available: {', '.join(sorted(SPECIALTIES))}")
    return specialty


def analyte_catalogue() -> AnalyteCatalogue:
    """Every analyte any registered specialty reads, each declared once; built when the app is wired.

    Raises ValueError when two specialties declare one analyte differently or one code means two analytes.
    """
    return AnalyteCatalogue(analyte for specialty in SPECIALTIES.values() for analyte in specialty.analytes)
