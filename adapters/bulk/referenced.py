"""The Medications an export's requests name, so that none is left unresolved.

A MedicationRequest or MedicationStatement may name its medicine through a separate Medication resource
(``medicationReference``) rather than a concept of its own. A Medication is in no patient's compartment,
so a ``Patient/$export`` or ``Group/$export`` may leave it out even when ``_type`` asks for it (Bulk Data 2.0
lets a server include such referenced resources, not that it must). Without it the medicine has a name at
best and no code, so its class is unknown; a consultant's summary, whose search includes the Medication
(``_include=MedicationRequest:medication``), would see what case-finding could not.

``MedicationReferences`` watches the lines as they stream past (read from their bytes: ``medicationReference``
only appears on those two types, and a Medication's id is its line's top-level ``id``) and says which named
Medications the export did not carry; the client then reads those by ``_id``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import orjson

from schemas.bulk import BulkExportRefused, BulkLine, named_medication

REQUEST_TYPES = frozenset({"MedicationRequest", "MedicationStatement"})
# A search's ``_id`` list is kept short enough for any server's URL limit.
IDS_PER_READ = 50


class MedicationReferences:
    """Which Medications the lines seen name, and which of them came as lines of their own."""

    def __init__(self) -> None:
        self._named: set[str] = set()
        self._carried: set[str] = set()

    def see(self, line: BulkLine) -> None:
        if line.deleted:
            return
        if line.resource_type == "Medication":
            carried = self._id_of(line)
            if carried is not None:
                self._carried.add(carried)
        elif line.resource_type in REQUEST_TYPES:
            named = named_medication(line.line)
            if named is not None:
                self._named.add(named)

    @staticmethod
    def _id_of(line: BulkLine) -> str | None:
        resource = line.resource
        if resource is None:
            try:
                resource = orjson.loads(line.line)
            except orjson.JSONDecodeError:
                return None
        held = resource.get("id") if type(resource) is dict else None
        return held if type(held) is str else None

    def missing(self) -> list[str]:
        """The named Medications no line carried, in a stable order."""
        return sorted(self._named - self._carried)


def batches(ids: list[str], size: int = IDS_PER_READ) -> list[list[str]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def search_bundle(source: str, body: bytes) -> dict[str, Any]:
    """A search's answer, which must be a Bundle."""
    try:
        bundle = orjson.loads(body)
    except orjson.JSONDecodeError:
        bundle = None
    if type(bundle) is not dict or bundle.get("resourceType") != "Bundle":
        detail = "the read of the medicines the export's requests name did not answer a Bundle"
        raise BulkExportRefused(source, detail)
    return bundle


def bundle_resources(bundle: dict[str, Any], resource_type: str) -> Iterator[dict[str, Any]]:
    """The Bundle's resources of this type (an OperationOutcome beside them is not one)."""
    for entry in bundle.get("entry") or ():
        resource = entry.get("resource") if type(entry) is dict else None
        if type(resource) is dict and resource.get("resourceType") == resource_type:
            yield resource


def next_page(bundle: dict[str, Any], base_url: str) -> str | None:
    """The Bundle's ``next`` link, followed only on the server that was asked."""
    for link in bundle.get("link") or ():
        if type(link) is dict and link.get("relation") == "next" and type(link.get("url")) is str:
            url: str = link["url"]
            if urljoin(base_url + "/", url).startswith(base_url + "/"):
                return urljoin(base_url + "/", url)
            return None
    return None
