"""FHIR Bulk Data Access 2.0 (``$export``): what is asked for, what the server answers, and how it fails.

The failures, each naming the upstream (``source``) and never a patient:

    BulkExportError                 the export did not complete whole
    ├── BulkExportRefused           the kick-off or the job was refused or failed (4xx/5xx, OperationOutcome)
    ├── BulkExportBusy              the server is running another export and did not free up in time (429)
    ├── BulkExportTimedOut          a poll, a download or the whole export ran out of time
    ├── BulkExportUnreachable       the server could not be reached, or broke off an answer
    ├── BulkFileExpired             a file in the manifest is gone (404/410): the export must be run again
    └── BulkFileUnreadable          the manifest or a file's line is not what the spec says, or a file was
                                    cut off (its last line, or fewer resources than the manifest counts)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

BULK_RESOURCE_TYPES = frozenset(
    {"Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement", "Medication"}
)


@dataclass(frozen=True, slots=True)
class BulkCodeFilter:
    """Only resources of ``resource_type`` carrying the coding ``system|code`` (searched as ``code``)."""

    resource_type: str
    system: str
    code: str


@dataclass(frozen=True, slots=True)
class BulkExportRequest:
    """One export: these resource types, changed since ``since`` (None: everything), narrowed by ``codes``.

    A type named in ``codes`` yields only its resources carrying one of that type's codes; a type with none
    yields all of its resources. Patient is never narrowed, so that every patient in the export is counted.
    """

    resource_types: tuple[str, ...]
    since: datetime | None = None
    codes: tuple[BulkCodeFilter, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.resource_types) - BULK_RESOURCE_TYPES
        if unknown or not self.resource_types:
            raise ValueError(
                f"resource types must be some of {sorted(BULK_RESOURCE_TYPES)}: {sorted(unknown)}"
            )
        if self.since is not None and self.since.tzinfo is None:
            raise ValueError("since must carry a time zone (a FHIR instant)")
        for code in self.codes:
            if code.resource_type not in self.resource_types or code.resource_type == "Patient":
                raise ValueError(
                    f"a code filter for {code.resource_type}, which is not exported or not coded"
                )


@dataclass(frozen=True, slots=True)
class BulkFile:
    """One NDJSON file of a manifest. ``count`` is the server's, when it gives one."""

    resource_type: str
    url: str
    count: int | None = None


@dataclass(frozen=True, slots=True)
class BulkManifest:
    """The completed job: ``transaction_time`` is the ``_since`` of the next incremental export."""

    transaction_time: datetime
    request: str
    requires_access_token: bool
    output: tuple[BulkFile, ...]
    error: tuple[BulkFile, ...] = ()
    # Bulk Data 2.0, with ``_since``: NDJSON files of Bundles naming the resources deleted since.
    deleted: tuple[BulkFile, ...] = ()


@dataclass(slots=True)
class BulkLine:
    """One NDJSON line of an export as it came, unparsed: ``resource_type`` is its file's (the manifest's
    ``type``), ``number`` its line in ``file_url``, ``ended`` False only for a last line with no newline.
    ``resource`` is the line parsed, when the client had to look inside it; ``deleted`` marks a line of a
    ``deleted`` file (a Bundle of deleted resources)."""

    resource_type: str
    line: bytes
    file_url: str
    number: int
    ended: bool = True
    resource: dict[str, Any] | None = None
    deleted: bool = False


# The lines of an export as they are handed on: those one downloaded chunk completed (or one page of a
# search), in file order, so that each step's cost is paid once a batch rather than once a line.
BulkLines = list[BulkLine]


@dataclass(frozen=True, slots=True)
class BulkIssue:
    """One issue of an OperationOutcome in the manifest's ``error`` files: ``severity`` as FHIR gives it."""

    severity: str
    code: str
    text: str
    file_url: str


@dataclass(slots=True)
class BulkExportProgress:
    """What the export has done so far; updated while it runs, so a caller can show it."""

    status: str = "kick-off"
    server_progress: str | None = None
    polls: int = 0
    files_read: int = 0
    resources_read: int = 0
    issues: list[BulkIssue] = field(default_factory=list)
    transaction_time: datetime | None = None


class BulkExportError(Exception):
    """Base of every bulk export failure. ``source`` names the upstream, never the patient."""

    def __init__(self, source: str, detail: str) -> None:
        super().__init__(f"{source}: {detail}")
        self.source = source
        self.detail = detail


class BulkExportRefused(BulkExportError):
    pass


class BulkExportBusy(BulkExportError):
    pass


class BulkExportTimedOut(BulkExportError):
    pass


class BulkExportUnreachable(BulkExportError):
    pass


class BulkFileExpired(BulkExportError):
    pass


class BulkFileUnreadable(BulkExportError):
    pass


_MEDICATION_REFERENCE = re.compile(rb'"medicationReference"\s*:\s*\{[^{}]*?"reference"\s*:\s*"([^"\\]*)"')


def medication_id(reference: str) -> str | None:
    """The id in a ``Medication/<id>`` reference, relative or absolute (as ``adapters.fhir_r4.parse`` resolves
    it); None for a contained (``#id``) or any other reference."""
    parts = reference.split("?", 1)[0].rstrip("/").split("/")
    if len(parts) < 2 or parts[-2] != "Medication" or not parts[-1]:
        return None
    return parts[-1]


def named_medication(line: bytes) -> str | None:
    """The Medication a MedicationRequest's or -Statement's NDJSON line names by ``medicationReference``, read
    from its bytes; None when it names none that way."""
    if b'"medicationReference"' not in line:
        return None
    found = _MEDICATION_REFERENCE.search(line)
    return medication_id(found[1].decode()) if found else None
