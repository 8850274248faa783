"""What a CDS Hooks call needs of FHIR R4: reading prefetch values, the EHR's server, and a record source.

Implemented in ``app.cds_hooks.wiring`` by the FHIR R4 adapter, so prefetched and fetched resources are read
by the same parser, and normalised by the same step, as every summary's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from app.records.ports import GPRecordSource
from schemas.clinical import SourceFailure


class FhirQueryReader(Protocol):
    async def read(self, query: str) -> Any:
        """The resource or Bundle a relative FHIR query answers, every page in one Bundle; None for a 404.

        Raises an ``UpstreamError`` kind when the server fails, refuses or answers with something unreadable.
        """
        ...


class EhrFhirAccess(Protocol):
    def resources_of(self, source: str, found: Any) -> list[Any]:
        """A Bundle's resources, or the one resource ``found`` is; ``UpstreamBadResponse`` for neither."""
        ...

    def reader(self, base_url: str, access_token: str | None) -> FhirQueryReader:
        """A reader of the EHR's FHIR server; the caller has checked the server is allowed."""
        ...

    def record_source(
        self,
        *,
        practice_ods: str,
        nhs_number_system: str,
        patient: dict[str, Any],
        resources: Sequence[Any],
        failures: Sequence[SourceFailure],
    ) -> tuple[str, GPRecordSource]:
        """The patient's NHS number and their resources as a record source; ``ValueError`` when the Patient
        has no NHS number."""
        ...
