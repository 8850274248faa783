"""What case-finding needs from outside: a practice's whole population as FHIR resources, and a reader of one
patient's resources into the record the summaries are built from. Failures are ``schemas.bulk`` errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from schemas.clinical import SourceRecord


class PopulationExport(Protocol):
    def export(
        self, practice_ods: str, resource_types: tuple[str, ...]
    ) -> AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]:
        """Every resource of these types for the practice's population, streamed; leaving the block early
        abandons the export upstream. Raises a ``schemas.bulk.BulkExportError``, or ValueError when the
        practice cannot be exported from."""
        ...

    def read_patient(
        self, practice_ods: str, patient: dict[str, Any], resources: list[dict[str, Any]]
    ) -> SourceRecord:
        """One patient's record from their Patient resource and the resources about them; raises ValueError
        when the Patient cannot be read (no NHS number, say)."""
        ...
