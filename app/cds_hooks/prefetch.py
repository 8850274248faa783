"""The patient's resources for one call: from the prefetch, and what it lacks from the EHR's FHIR server.

CDS Hooks 2.0: a prefetch key the EHR left out was not fetched; a key whose value is null holds no data.
Keys left out are read from ``fhirServer`` with ``fhirAuthorization``'s bearer token, but only from a
server on the calling client's allow-list (its practice's FHIR ``base_url`` or its ``fhir_servers``): any
other address would let a caller point this service at hosts inside our network. With neither complete
prefetch nor a usable server, the answer is 412, as the specification says.

A prefetched search Bundle that is cut short (a ``next`` link, or a ``total`` beyond its matches) counts as
a key left out: the specification says prefetched Bundles carry no paging links, and a card built from the
first page of a history could miss the very result that meets a criterion. Such a key is read afresh from
``fhirServer``; with no usable server the call is 412, never a card from part of the record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.cds_hooks.discovery import PATIENT_ID_TOKEN, PATIENT_KEY, CdsService
from app.cds_hooks.ports import EhrFhirAccess, FhirQueryReader
from app.cds_hooks.trust import CdsClient
from app.core.errors import PreconditionFailed, Unprocessable
from app.records.ports import UpstreamBadResponse, UpstreamError
from schemas.api.cds_hooks import CdsServiceRequest
from schemas.clinical import SourceFailure


@dataclass(slots=True)
class GatheredResources:
    """The Patient resource, every other resource the queries answered, and the parts that failed."""

    patient: dict[str, Any]
    resources: list[Any] = field(default_factory=list)
    failures: list[SourceFailure] = field(default_factory=list)


def filled(template: str, patient_id: str) -> str:
    """A prefetch template with the call's patient id (already held to the FHIR id pattern)."""
    return template.replace(PATIENT_ID_TOKEN, patient_id)


def missing_keys(service: CdsService, prefetch: Mapping[str, object] | None) -> list[str]:
    return [key for key in service.prefetch if prefetch is None or key not in prefetch]


def is_cut_short(value: object) -> bool:
    """A Bundle with a ``next`` link, or whose ``total`` counts more matches than it holds.

    ``total`` counts search matches only, so entries an ``_include`` added (search mode ``include``) or an
    OperationOutcome (``outcome``) are not set against it.
    """
    if type(value) is not dict or value.get("resourceType") != "Bundle":
        return False
    links = value.get("link")
    if type(links) is list and any(type(link) is dict and link.get("relation") == "next" for link in links):
        return True
    total = value.get("total")
    if type(total) is not int:
        return False
    entries = value.get("entry")
    matches = [entry for entry in entries if not _added_by_search(entry)] if type(entries) is list else []
    return total > len(matches)


def _added_by_search(entry: object) -> bool:
    search = entry.get("search") if type(entry) is dict else None
    return type(search) is dict and search.get("mode") in ("include", "outcome")


def cut_short_keys(service: CdsService, prefetch: Mapping[str, object] | None) -> list[str]:
    return [key for key in service.prefetch if prefetch is not None and is_cut_short(prefetch.get(key))]


async def gather_resources(
    service: CdsService, call: CdsServiceRequest, *, client: CdsClient, fhir: EhrFhirAccess
) -> GatheredResources:
    """Raises ``PreconditionFailed`` when data are missing and cannot be read, ``Unprocessable`` for a
    prefetch that is not FHIR, and an ``UpstreamError`` when the server fails to give the Patient."""
    missing = missing_keys(service, call.prefetch)
    cut_short = cut_short_keys(service, call.prefetch)
    to_read = missing + cut_short
    values: dict[str, Any] = {
        key: value
        for key, value in (call.prefetch or {}).items()
        if key in service.prefetch and key not in cut_short
    }
    failures: list[SourceFailure] = []
    if to_read:
        reader = _reader(call, client, fhir, missing, cut_short)
        queries = [filled(service.prefetch[key], call.context.patient_id) for key in to_read]
        outcomes = await asyncio.gather(*(reader.read(query) for query in queries), return_exceptions=True)
        for key, outcome in zip(to_read, outcomes, strict=True):
            if isinstance(outcome, UpstreamError):
                if key == PATIENT_KEY:
                    raise outcome
                failures.append(SourceFailure(key, outcome.detail))
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                values[key] = outcome
    gathered = GatheredResources(
        _patient(fhir, values.get(PATIENT_KEY), call.context.patient_id), failures=failures
    )
    for key, value in values.items():
        if key != PATIENT_KEY and value is not None:
            gathered.resources.extend(_resources(fhir, key, value, from_prefetch=key not in to_read))
    return gathered


def _reader(
    call: CdsServiceRequest, client: CdsClient, fhir: EhrFhirAccess, missing: list[str], cut_short: list[str]
) -> FhirQueryReader:
    lacks = [f"lacks {', '.join(missing)}"] if missing else []
    if cut_short:
        lacks.append(f"has only part of {', '.join(cut_short)} (a next link, or a total beyond its entries)")
    lacking = f"the prefetch {' and '.join(lacks)}"
    if call.fhir_server is None:
        raise PreconditionFailed(f"{lacking} and the call names no fhirServer to read them from")
    if call.fhir_server.rstrip("/") not in client.fhir_servers:
        raise PreconditionFailed(f"{lacking} and its fhirServer is not on this client's allow-list")
    authorization = call.fhir_authorization
    token = authorization.access_token if authorization is not None else None
    return fhir.reader(call.fhir_server, token)


def _resources(fhir: EhrFhirAccess, key: str, value: Any, *, from_prefetch: bool) -> list[Any]:
    try:
        return fhir.resources_of(f"prefetch {key}", value)
    except UpstreamBadResponse as exc:
        if from_prefetch:
            raise Unprocessable(f"prefetch {key}: {exc.detail}") from None
        raise


def _patient(fhir: EhrFhirAccess, value: Any, patient_id: str) -> dict[str, Any]:
    if value is None:
        raise PreconditionFailed("the EHR holds no Patient for the call's patientId")
    try:
        resources = fhir.resources_of("prefetch patient", value)
    except UpstreamBadResponse as exc:
        raise Unprocessable(exc.detail) from None
    for resource in resources:
        if (
            type(resource) is dict
            and resource.get("resourceType") == "Patient"
            and resource.get("id") == patient_id
        ):
            return resource
    raise Unprocessable("the patient prefetch is not the Patient the context names")
