"""FHIR R4 JSON, already decoded by orjson, read straight into the ``Source*`` types: only the fields we use.

This is the hot path of a record fetch. Validating each resource with fhir.resources costs about 0.2 ms, which
for a 50,000-result record is ten seconds; so the parser walks the dicts itself. It trusts nothing: a resource
with a wrong type or a missing required field is skipped and counted (``Parsed.skipped``), never a crash, and
only a search answer that is not a Bundle at all is an ``UpstreamBadResponse``.

The same few codes recur thousands of times in one record, so each parse builds each distinct coding once.
The readers of single elements (codings, dates, quantities) are in ``elements``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from adapters.errors import UpstreamBadResponse
from adapters.fhir_r4.elements import (
    MALFORMED,
    UCUM,
    CodingReader,
    MalformedResourceError,
    calendar_date,
    collector_paused,
    confidential,
    first_code,
    instant,
    number,
    optional_string,
    required_string,
    resource_confidential,
    unit_of,
)
from schemas.clinical import (
    Sex,
    SourceCondition,
    SourceMedication,
    SourceObservation,
    SourcePatient,
    SourceQuantity,
)

__all__ = [
    "MalformedResourceError",
    "Parsed",
    "SearchPage",
    "conditions",
    "medications",
    "observations",
    "patient",
    "searchset",
]

_SEX_BY_GENDER = {sex.value: sex for sex in Sex}
_MEDICATION_TYPES = frozenset({"MedicationRequest", "MedicationStatement"})

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SearchPage:
    """The resources of one searchset page, and the URL of the next page as the server wrote it."""

    resources: list[Any]
    next_url: str | None


@dataclass(slots=True)
class Parsed(Generic[T]):
    """What could be read, and how many resources of the wanted type could not."""

    items: list[T]
    skipped: int = 0


def searchset(source: str, body: Any) -> SearchPage:
    """One page of search results; UpstreamBadResponse when it is not a readable Bundle."""
    if type(body) is not dict or body.get("resourceType") != "Bundle":
        kind = body.get("resourceType") if type(body) is dict else type(body).__name__
        raise UpstreamBadResponse(source, f"search answered with {kind!s:.40}, not a Bundle")
    entries = body.get("entry")
    if entries is None:
        entries = []
    elif type(entries) is not list:
        raise UpstreamBadResponse(source, "Bundle.entry is not a list")
    try:
        resources = [entry["resource"] for entry in entries]
    except MALFORMED:
        resources = [entry.get("resource") for entry in entries if type(entry) is dict]
    return SearchPage(resources, _next_link(source, body.get("link")))


def _next_link(source: str, links: Any) -> str | None:
    if links is None:
        return None
    if type(links) is not list:
        raise UpstreamBadResponse(source, "Bundle.link is not a list")
    for link in links:
        if type(link) is dict and link.get("relation") == "next":
            url = link.get("url")
            if type(url) is not str or not url:
                raise UpstreamBadResponse(source, "Bundle next link has no URL")
            return url
    return None


# --- Observation --------------------------------------------------------------------------------------------


def observations(resources: Iterable[Any]) -> Parsed[SourceObservation]:
    """The Observations among ``resources``; other resource types are ignored, unreadable ones counted."""
    read_codings = CodingReader()
    # Results of one panel share a time, and a record holds many panels: each distinct string is parsed once.
    instants: dict[str, datetime] = {}
    items: list[SourceObservation] = []
    skipped = 0
    with collector_paused():
        for resource in resources:
            try:
                if resource["resourceType"] != "Observation":
                    continue
                items.append(_observation(resource, read_codings, instants))
            except MALFORMED:
                skipped += 1
    return Parsed(items, skipped)


def _observation(
    resource: dict[str, Any], read_codings: CodingReader, instants: dict[str, datetime]
) -> SourceObservation:
    # Written flat, with the common shapes first: this function runs once per result in the record.
    resource_id = resource["id"]
    status = resource["status"]
    if type(resource_id) is not str or not resource_id or type(status) is not str:
        raise MalformedResourceError("Observation id or status is not a string")
    get = resource.get
    when = get("effectiveDateTime")
    if when is None:
        when = _other_observation_time(resource)
    effective = None
    if when is not None:
        effective = instants.get(when)
        if effective is None:
            effective = instants[when] = instant(when)
    quantity = get("valueQuantity")
    if quantity is None:
        value = unit = comparator = None
    else:
        value = quantity.get("value")
        if type(value) is not float:
            value = number(value)
        unit = quantity.get("code")
        if unit is None or type(unit) is not str or quantity.get("system") != UCUM:
            unit = unit_of(quantity)
        comparator = quantity.get("comparator")
        if comparator is not None and type(comparator) is not str:
            raise MalformedResourceError("quantity comparator is not a string")
    components = get("component")
    value_concept = get("valueCodeableConcept")
    meta = get("meta")
    return SourceObservation(
        resource_id,
        read_codings(resource["code"]),
        status,
        effective,
        value,
        unit,
        comparator,
        tuple([_component(c, read_codings) for c in components]) if components else (),
        read_codings(value_concept) if value_concept is not None else (),
        meta is not None and "security" in meta and confidential(meta),
    )


def _other_observation_time(resource: dict[str, Any]) -> Any:
    period = resource.get("effectivePeriod")
    if period is not None:
        when = period.get("start") or period.get("end")
        if when is not None:
            return when
    return resource.get("effectiveInstant") or resource.get("issued")


def _component(component: dict[str, Any], read_codings: CodingReader) -> SourceQuantity:
    quantity = component.get("valueQuantity")
    if quantity is None:
        return SourceQuantity(read_codings(component["code"]), None, None)
    return SourceQuantity(
        read_codings(component["code"]),
        number(quantity.get("value")),
        unit_of(quantity),
        optional_string(quantity.get("comparator")),
    )


# --- MedicationRequest and MedicationStatement --------------------------------------------------------------


def medications(resources: Iterable[Any]) -> Parsed[SourceMedication]:
    """MedicationRequests and MedicationStatements, named from their own concept or their Medication.

    A referenced Medication is found among ``resources`` (a search with ``_include``) or in ``contained``.
    """
    resources = list(resources)
    included = _medications_by_reference(resources)
    read_codings = CodingReader()
    items: list[SourceMedication] = []
    skipped = 0
    with collector_paused():
        for resource in resources:
            try:
                if resource["resourceType"] not in _MEDICATION_TYPES:
                    continue
                items.append(_medication(resource, included, read_codings))
            except MALFORMED:
                skipped += 1
    return Parsed(items, skipped)


def _medications_by_reference(resources: list[Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if type(resource) is dict and resource.get("resourceType") == "Medication":
            resource_id = resource.get("id")
            if type(resource_id) is str:
                found[f"Medication/{resource_id}"] = resource
    return found


def _medication(
    resource: dict[str, Any], included: dict[str, dict[str, Any]], read_codings: CodingReader
) -> SourceMedication:
    concept = resource.get("medicationCodeableConcept")
    fallback_name = None
    if concept is None:
        reference = resource["medicationReference"]
        fallback_name = optional_string(reference.get("display"))
        medication = _resolve_medication(required_string(reference.get("reference")), resource, included)
        concept = medication.get("code") if medication is not None else None
    name = _concept_name(concept) or fallback_name
    if name is None:
        raise MalformedResourceError("medication without a name")
    if resource["resourceType"] == "MedicationRequest":
        recorded = resource.get("authoredOn")
        dosages = resource.get("dosageInstruction")
    else:
        period = resource.get("effectivePeriod")
        recorded = resource.get("effectiveDateTime") or (period.get("start") if period else None)
        recorded = recorded or resource.get("dateAsserted")
        dosages = resource.get("dosage")
    return SourceMedication(
        required_string(resource["id"]),
        name,
        read_codings(concept) if concept is not None else (),
        required_string(resource["status"]),
        calendar_date(recorded) if recorded is not None else None,
        _dosage(dosages[0]) if dosages else None,
        resource_confidential(resource),
    )


def _dosage(dosage: dict[str, Any]) -> str | None:
    """A Dosage's text, else its first dose quantity ("2.5 mg"): what a change of dose is read from."""
    text = optional_string(dosage.get("text"))
    if text:
        return text
    for dose_and_rate in dosage.get("doseAndRate") or ():
        quantity = dose_and_rate.get("doseQuantity") or {}
        value = quantity.get("value")
        if type(value) in (int, float):
            unit = optional_string(quantity.get("unit")) or optional_string(quantity.get("code")) or ""
            return f"{value:g} {unit}".strip()
    return None


def _resolve_medication(
    reference: str, resource: dict[str, Any], included: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    if reference.startswith("#"):
        contained: list[dict[str, Any]] = resource.get("contained") or []
        return next((c for c in contained if c.get("id") == reference[1:]), None)
    # Relative ("Medication/1") or absolute ("https://gp.example/fhir/Medication/1"): the last two segments.
    return included.get("/".join(reference.rstrip("/").split("/")[-2:]))


def _concept_name(concept: Any) -> str | None:
    if concept is None:
        return None
    text = optional_string(concept.get("text"))
    if text:
        return text
    for coding in concept.get("coding") or ():
        display = optional_string(coding.get("display"))
        if display:
            return display
    return None


# --- Condition ----------------------------------------------------------------------------------------------


def conditions(resources: Iterable[Any]) -> Parsed[SourceCondition]:
    """The Conditions among ``resources``; one without a code says nothing we can use and is counted."""
    read_codings = CodingReader()
    items: list[SourceCondition] = []
    skipped = 0
    with collector_paused():
        for resource in resources:
            try:
                if resource["resourceType"] != "Condition":
                    continue
                items.append(_condition(resource, read_codings))
            except MALFORMED:
                skipped += 1
    return Parsed(items, skipped)


def _condition(resource: dict[str, Any], read_codings: CodingReader) -> SourceCondition:
    onset = resource.get("onsetDateTime")
    if onset is None:
        period = resource.get("onsetPeriod")
        onset = (period.get("start") if period else None) or resource.get("recordedDate")
    return SourceCondition(
        required_string(resource["id"]),
        read_codings(resource["code"]),
        first_code(resource.get("clinicalStatus")),
        first_code(resource.get("verificationStatus")),
        calendar_date(onset) if onset is not None else None,
        resource_confidential(resource),
    )


# --- Patient ------------------------------------------------------------------------------------------------


def patient(resource: Any, nhs_number_system: str) -> SourcePatient:
    """A Patient with its NHS number; MalformedResourceError when unreadable or without an NHS number."""
    try:
        if resource["resourceType"] != "Patient":
            raise MalformedResourceError("not a Patient")
        birth_date = resource.get("birthDate")
        return SourcePatient(
            required_string(resource["id"]),
            _nhs_number(resource.get("identifier"), nhs_number_system),
            _display_name(resource.get("name")),
            calendar_date(birth_date) if birth_date is not None else None,
            _SEX_BY_GENDER.get(resource.get("gender"), Sex.UNKNOWN),
        )
    except MALFORMED as exc:
        raise MalformedResourceError(f"unreadable Patient ({type(exc).__name__})") from exc


def _nhs_number(identifiers: Any, system: str) -> str:
    for identifier in identifiers or ():
        if identifier.get("system") == system:
            return required_string(identifier.get("value")).replace(" ", "")
    raise MalformedResourceError("Patient has no NHS number")


_NAME_PREFERENCE = {"official": 0, "usual": 1, None: 2}


def _display_name(names: Any) -> str | None:
    if not names:
        return None
    best = min(names, key=lambda name: _NAME_PREFERENCE.get(name.get("use"), 3))
    given = best.get("given") or []
    if type(given) is not list:
        raise MalformedResourceError("HumanName.given is not a list")
    parts = [required_string(part) for part in given]
    family = best.get("family")
    if family is not None:
        parts.append(required_string(family))
    if parts:
        return " ".join(parts)
    return optional_string(best.get("text"))
