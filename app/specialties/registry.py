"""The one place specialties are registered: code → plug-in, and the analytes they read between them."""

from __future__ import annotations

from app.core.errors import NotFound
from app.records.analytes import AnalyteCatalogue
from app.specialties.base import Specialty
from app.specialties.diabetes.plugin import DIABETES
from app.specialties.heart_failure.plugin import HEART_FAILURE
from app.specialties.lipids.plugin import LIPIDS
from app.specialties.nephrology.plugin import NEPHROLOGY

# A new specialty is its folder and one line here.
REGISTERED: tuple[Specialty, ...] = (
    NEPHROLOGY,
    DIABETES,
    HEART_FAILURE,
    LIPIDS,
)
SPECIALTIES: dict[str, Specialty] = {specialty.code: specialty for specialty in REGISTERED}


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
