"""What case-finding needs from outside: a practice's whole population as FHIR Bulk Data NDJSON lines (in
batches), and a reader of one patient's resources into the record the summaries are built from. Failures are
``schemas.bulk`` errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from schemas.bulk import BulkExportProgress, BulkLines
from schemas.clinical import SourceRecord


class PopulationExport(Protocol):
    def export(
        self,
        practice_ods: str,
        resource_types: tuple[str, ...],
        *,
        since: datetime | None = None,
        progress: BulkExportProgress | None = None,
    ) -> AbstractAsyncContextManager[AsyncIterator[BulkLines]]:
        """Every resource of these types for the practice's population (changed since ``since``, when given,
        then the lines of the manifest's ``deleted`` files), each as the NDJSON line it came in, streamed and
        unparsed, in batches (the lines of a downloaded chunk, in order); ``progress.transaction_time`` is the
        export's once its manifest is read. Leaving the block early abandons the export upstream. Raises a
        ``schemas.bulk.BulkExportError``, or ValueError when the practice cannot be exported from."""
        ...

    def read_patient(
        self, practice_ods: str, patient: dict[str, Any], resources: list[dict[str, Any]]
    ) -> SourceRecord:
        """One patient's record from their Patient resource and the resources about them; raises ValueError
        when the Patient cannot be read (no NHS number, say)."""
        ...
