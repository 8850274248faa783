"""What the records domain needs from the outside world. Adapters implement these structurally.

The port owns the types it speaks in: the upstream failures (``schemas.upstream``, where adapters can reach
them too) and the upstream deadline every request observes (``schemas.deadline``) are declared here, and the
domain imports them from here, never from an adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from schemas.clinical import RecordQuery, SourcePatient, SourceRecord
from schemas.deadline import Deadline, current_deadline, upstream_deadline
from schemas.upstream import (
    PatientNotFound,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)

__all__ = [
    "Deadline",
    "GPRecordSource",
    "PatientDirectory",
    "PatientNotFound",
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamNotFound",
    "UpstreamRefused",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "current_deadline",
    "upstream_deadline",
]


class GPRecordSource(Protocol):
    """One GP practice's system: find a patient, fetch the parts of their record a specialty asks for.

    Raises ``PatientNotFound`` for an unknown patient and the other ``UpstreamError`` kinds
    for technical failures. A failure of one part of a record (one search) is reported in
    ``SourceRecord.failures`` rather than raised, so the summary can be marked incomplete.
    """

    practice_ods: str
    adapter: str
    # The most patients one ``fetch_records`` may name: a FHIR server searches for several at once, and a
    # system that answers about one patient at a time takes one.
    patients_per_fetch: int

    async def find_patient(self, nhs_number: str) -> SourcePatient: ...

    async def fetch_record(self, nhs_number: str, query: RecordQuery) -> SourceRecord: ...

    async def fetch_records(
        self, nhs_numbers: Sequence[str], query: RecordQuery
    ) -> dict[str, SourceRecord | UpstreamError]:
        """Each named patient's record, or the failure (``PatientNotFound`` among them) that kept it."""
        ...

    async def aclose(self) -> None: ...


class PatientDirectory(Protocol):
    """NHS number → the ODS code of the registered practice (None when the directory may not say)."""

    async def registered_practice(self, nhs_number: str) -> str | None: ...

    async def aclose(self) -> None: ...
