"""The one place specialties are registered: code → plug-in."""

from __future__ import annotations

from app.core.errors import NotFound
from app.specialties.base import Specialty
from app.specialties.nephrology.plugin import NEPHROLOGY

SPECIALTIES: dict[str, Specialty] = {specialty.code: specialty for specialty in (NEPHROLOGY,)}


def get_specialty(code: str) -> Specialty:
    specialty = SPECIALTIES.get(code)
    if specialty is None:
        raise NotFound(f"no specialty {code!r}; available: {', '.join(sorted(SPECIALTIES))}")
    return specialty
