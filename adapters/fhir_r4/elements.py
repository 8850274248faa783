"""FHIR R4 data types read defensively from decoded JSON: codings, dates, quantities, security labels.

Every reader raises ``MalformedResourceError`` (or lets a wrong shape raise where it is indexed) rather than
guess; the resource parsers in ``parse`` turn either into a skipped, counted resource.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from schemas.clinical import Coding

UCUM = "http://unitsofmeasure.org"
# v3 Confidentiality: R (restricted) and V (very restricted) items are withheld from the consultant. The code
# alone decides: both the current and the pre-R4 system URL are in use.
_CONFIDENTIAL_CODES = frozenset({"R", "V"})


class MalformedResourceError(ValueError):
    """A resource we cannot read: a field of the wrong type, or a required one missing."""


# What reading a malformed resource raises (MalformedResourceError is a ValueError): the parsers index into
# the JSON directly and let a wrong shape fail there instead of checking every step in advance.
MALFORMED = (KeyError, TypeError, AttributeError, ValueError, IndexError)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one parse.

    Decoded JSON and the records built from it hold no reference cycles, so the collector has nothing to free
    here; left running, the full passes our allocations trigger traverse the whole freshly decoded Bundle. At
    5,000 results that cost more than the parse itself (bench/normalise.py). A collector already paused by
    someone else is left paused.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class CodingReader:
    """Reads a CodeableConcept's codings, building each distinct one once per parse."""

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[Any, tuple[Coding, ...]] = {}

    def __call__(self, concept: Any) -> tuple[Coding, ...]:
        codings = concept.get("coding")
        if not codings:
            return ()
        if len(codings) == 1:
            first = codings[0]
            key: Any = (first.get("system"), first.get("code"), first.get("display"))
        else:
            key = tuple([(c.get("system"), c.get("code"), c.get("display")) for c in codings])
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = _build_codings(codings)
        return found


def _build_codings(codings: list[Any]) -> tuple[Coding, ...]:
    built = []
    for coding in codings:
        system, code, display = coding.get("system"), coding.get("code"), coding.get("display")
        if display is not None and type(display) is not str:
            raise MalformedResourceError("coding display is not a string")
        # A coding without both system and code cannot be matched to anything; the others may still be.
        if type(system) is str and type(code) is str:
            built.append(Coding(system, code, display))
    return tuple(built)


def required_string(value: Any) -> str:
    if type(value) is not str or not value:
        raise MalformedResourceError("expected a non-empty string")
    return value


def optional_string(value: Any) -> str | None:
    if value is not None and type(value) is not str:
        raise MalformedResourceError("expected a string")
    return value


def instant(value: Any) -> datetime:
    """A FHIR date, dateTime or instant as an aware datetime.

    Dates and partial dates become midnight UTC on their first day. A time without an offset is invalid FHIR
    but sent by some systems; it is read as UTC rather than dropped.
    """
    if type(value) is not str:
        raise MalformedResourceError("expected a date-time string")
    if len(value) < 10:
        return datetime.combine(_partial_date(value), datetime.min.time(), UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def calendar_date(value: Any) -> date:
    """The calendar date a FHIR date or dateTime was recorded on (its own offset, not converted to UTC)."""
    if type(value) is not str:
        raise MalformedResourceError("expected a date string")
    if len(value) < 10:
        return _partial_date(value)
    return date.fromisoformat(value[:10])


def _partial_date(value: str) -> date:
    if len(value) == 4:
        return date(int(value), 1, 1)
    if len(value) == 7 and value[4] == "-":
        return date(int(value[:4]), int(value[5:]), 1)
    raise MalformedResourceError("not a FHIR date")


def number(value: Any) -> float | None:
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if value is None:
        return None
    raise MalformedResourceError("quantity value is not a number")


def unit_of(quantity: dict[str, Any]) -> str | None:
    """The UCUM code when the quantity has one, else the unit as displayed (UK labs often send only that)."""
    code = quantity.get("code")
    if code is not None and quantity.get("system") == UCUM:
        return optional_string(code)
    unit = quantity.get("unit")
    return optional_string(unit if unit is not None else code)


def confidential(meta: dict[str, Any]) -> bool:
    labels = meta.get("security")
    if not labels:
        return False
    return any(label.get("code") in _CONFIDENTIAL_CODES for label in labels)


def resource_confidential(resource: dict[str, Any]) -> bool:
    meta = resource.get("meta")
    return meta is not None and confidential(meta)


def first_code(concept: Any) -> str | None:
    if concept is None:
        return None
    codings = concept.get("coding")
    if not codings:
        return None
    return optional_string(codings[0].get("code"))


def subject_id(resource: dict[str, Any]) -> str | None:
    """The id in ``subject`` (or ``patient``) ``…Patient/<id>[/_history/…]``; None without one."""
    holder = resource.get("subject") or resource.get("patient")
    reference = holder.get("reference") if type(holder) is dict else None
    if type(reference) is not str:
        return None
    _, marker, rest = reference.rpartition("Patient/")
    return rest.split("/", 1)[0] if marker else None
