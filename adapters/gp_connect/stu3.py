"""Reading FHIR STU3 datatypes from decoded JSON, leniently: a malformed field is absent, not a failure.

Plain dict access rather than model classes: a structured record holds thousands of resources and validating
each one would cost more than the rest of the request.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from schemas.clinical import LOINC, SNOMED, Coding

UCUM = "http://unitsofmeasure.org"

# The confidentiality codes that withhold an item from a clinician (HL7 v3 Confidentiality: R restricted,
# V very restricted). NOPAT ("not for the patient") hides items from patients only, so it is not here.
CONFIDENTIAL_CODES = frozenset({"R", "V"})

_SYSTEM_SPELLINGS = {
    "https://snomed.info/sct": SNOMED,
    "http://snomed.info/sct/": SNOMED,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "https://loinc.org": LOINC,
    "http://loinc.org/": LOINC,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
}


def canonical_system(system: str) -> str:
    return _SYSTEM_SPELLINGS.get(system, system)


def parse_datetime(text: Any) -> datetime | None:
    """A FHIR dateTime or instant as an aware datetime; a bare date is midnight UTC.

    A partial date (``2016`` or ``2016-05``) is too vague to place a result on a trend, so it gives None.
    """
    if not isinstance(text, str):
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_date(text: Any) -> date | None:
    moment = parse_datetime(text)
    return None if moment is None else moment.date()


def codings(concept: Any) -> tuple[Coding, ...]:
    """The codings of a CodeableConcept; codes are stripped (GP Connect examples carry stray spaces)."""
    if not isinstance(concept, dict):
        return ()
    found = []
    for coding in concept.get("coding") or ():
        if not isinstance(coding, dict):
            continue
        system, code = coding.get("system"), coding.get("code")
        if isinstance(system, str) and isinstance(code, str):
            display = coding.get("display")
            found.append(Coding(system, code.strip(), display if isinstance(display, str) else None))
    return tuple(found)


def concept_text(concept: Any) -> str | None:
    """What a person would read for a CodeableConcept: its text, else the first display."""
    if not isinstance(concept, dict):
        return None
    text = concept.get("text")
    if isinstance(text, str) and text:
        return text
    return next((coding.display for coding in codings(concept) if coding.display), None)


def is_confidential(resource: dict[str, Any]) -> bool:
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return False
    labels = meta.get("security") or ()
    return any(isinstance(label, dict) and label.get("code") in CONFIDENTIAL_CODES for label in labels)


def number(value: Any) -> float | None:
    """A decimal, also when sent as a string (GP Connect examples do); booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def quantity(value: Any) -> tuple[float | None, str | None, str | None]:
    """Value, unit (the UCUM code when there is one, else the unit text) and comparator of a Quantity."""
    if not isinstance(value, dict):
        return None, None, None
    unit = value.get("code") if value.get("system") == UCUM else None
    if not isinstance(unit, str):
        unit = value.get("unit") if isinstance(value.get("unit"), str) else None
    comparator = value.get("comparator")
    return number(value.get("value")), unit, comparator if isinstance(comparator, str) else None


def status_code(value: Any) -> str | None:
    """A status sent as a code (STU3) or as a CodeableConcept (R4 style, seen from some suppliers)."""
    if isinstance(value, str):
        return value
    found = codings(value)
    return found[0].code if found else None


def reference_id(reference: Any, resource_type: str) -> str | None:
    """The id in ``{"reference": "Type/id"}`` when it names ``resource_type``."""
    if not isinstance(reference, dict):
        return None
    target = reference.get("reference")
    prefix = resource_type + "/"
    if isinstance(target, str) and target.startswith(prefix):
        return target[len(prefix) :]
    return None
