"""A directory from configuration: NHS number → ODS code, for demos and for services without PDS access."""

from __future__ import annotations

from collections.abc import Mapping


class StaticDirectory:
    """A ``PatientDirectory`` that knows exactly the registrations it was given, and no others."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._practices = dict(mapping)

    async def registered_practice(self, nhs_number: str) -> str | None:
        return self._practices.get(nhs_number)

    async def aclose(self) -> None:
        """Nothing to release."""
