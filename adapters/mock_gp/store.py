"""The mock GP's resources: loaded from JSON files, searched the way a FHIR R4 server would.

A deleted resource leaves every index and a ``Tombstone`` behind: whose it was (when it said) and when it was
deleted, for a later read to answer 410 Gone and for an export with ``_since`` to list.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

# The search parameters the mock understands beyond _id, patient/subject, _count, _offset and _include. Others
# are ignored, as FHIR's default lenient handling allows.
_DATE_PATHS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Observation", "date"): ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"),
    ("MedicationRequest", "authoredon"): ("authoredOn",),
    ("MedicationStatement", "effective"): ("effectiveDateTime", "effectivePeriod.start"),
    ("Condition", "onset-date"): ("onsetDateTime", "onsetPeriod.start"),
}
_CODED_TYPES = frozenset({"Observation", "Condition"})
_ESCAPE = re.compile(r"\\(.)")
_PREFIXES = ("ge", "gt", "le", "lt", "eq")


class SearchError(ValueError):
    """A search the mock cannot make sense of: answered 400, as a real server would."""


_Moment = tuple[datetime, int, str]


@dataclass(slots=True)
class _TypeIndex:
    """One resource type's resources in the order they were loaded, and what searches look them up by.

    Every lookup answers a set of ids; ``order`` puts the survivors back in load order, which is the order a
    search has always answered in (and so the order pages are cut in).
    """

    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    by_patient: dict[str, set[str]] = field(default_factory=dict)
    by_coding: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    by_code: dict[str, set[str]] = field(default_factory=dict)
    by_system: dict[str, set[str]] = field(default_factory=dict)
    coded: set[str] = field(default_factory=set)
    moments: dict[str, list[_Moment]] = field(default_factory=dict)
    moment_of: dict[str, dict[str, datetime]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A deleted resource: its type and id, the patient it was about (a Patient's own id; None when it named
    none) and when it was deleted."""

    resource_type: str
    id: str
    patient_id: str | None
    deleted_at: datetime


class ResourceStore:
    """Resources by type, indexed by patient, code (``system|code``) and date so searches do not scan."""

    def __init__(self) -> None:
        self._by_type: dict[str, _TypeIndex] = {}
        self._loaded = 0
        self._tombstones: dict[tuple[str, str], Tombstone] = {}

    def load_directory(self, data_dir: Path) -> None:
        """Every ``*.json`` file below ``data_dir``: Bundles of any type, or single resources."""
        for path in sorted(data_dir.rglob("*.json")):
            self.load(orjson.loads(path.read_bytes()))

    def load(self, document: Any) -> None:
        if not isinstance(document, dict):
            return
        if document.get("resourceType") != "Bundle":
            self.add(document)
            return
        entries = [entry for entry in document.get("entry") or () if isinstance(entry.get("resource"), dict)]
        # Transaction bundles (Synthea's) refer by fullUrl (urn:uuid:…) to entries that, served, are Type/id.
        local = {
            entry["fullUrl"]: f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
            for entry in entries
            if entry.get("fullUrl") and entry["resource"].get("id")
        }
        for entry in entries:
            self.add(_rewrite_references(entry["resource"], local))

    def add(self, resource: dict[str, Any]) -> dict[str, Any]:
        resource_type = resource["resourceType"]
        index = self._by_type.setdefault(resource_type, _TypeIndex())
        if "id" not in resource:
            resource["id"] = self._new_id(resource_type, index)
        resource_id = resource["id"]
        # Created again under the same id: no longer deleted.
        self._tombstones.pop((resource_type, resource_id), None)
        replaced = index.resources.get(resource_id)
        if replaced is not None:
            _unindex(index, resource_type, replaced)
        else:
            self._loaded += 1
            index.order[resource_id] = self._loaded
        index.resources[resource_id] = resource
        _index(index, resource_type, resource)
        return resource

    def _new_id(self, resource_type: str, index: _TypeIndex) -> str:
        """An id no resource of the type holds or held: a deleted one's id is not given to another."""
        candidates = (f"{resource_type.lower()}-{n}" for n in itertools.count(len(index.resources) + 1))
        return next(
            candidate
            for candidate in candidates
            if candidate not in index.resources and (resource_type, candidate) not in self._tombstones
        )

    def delete(self, resource_type: str, resource_id: str, at: datetime | None = None) -> Tombstone | None:
        """Removes the resource from reads, searches and exports, keeping its tombstone; None when it is not
        held. Nothing else goes with it: a deleted Patient's resources stay, as on a FHIR server."""
        index = self._by_type.get(resource_type)
        resource = index.resources.get(resource_id) if index is not None else None
        if index is None or resource is None:
            return None
        _unindex(index, resource_type, resource)
        del index.resources[resource_id]
        del index.order[resource_id]
        patient_id = resource_id if resource_type == "Patient" else _patient_id(resource)
        tombstone = Tombstone(resource_type, resource_id, patient_id, at or datetime.now(UTC))
        self._tombstones[(resource_type, resource_id)] = tombstone
        return tombstone

    def tombstone(self, resource_type: str, resource_id: str) -> Tombstone | None:
        """The tombstone of a deleted resource (not created again since)."""
        return self._tombstones.get((resource_type, resource_id))

    def deleted_since(self, since: datetime) -> list[Tombstone]:
        """The tombstones of resources deleted after ``since``, in the order they were deleted."""
        return sorted(
            (tombstone for tombstone in self._tombstones.values() if tombstone.deleted_at > since),
            key=lambda tombstone: tombstone.deleted_at,
        )

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        index = self._by_type.get(resource_type)
        return index.resources.get(resource_id) if index is not None else None

    def count(self, resource_type: str) -> int:
        index = self._by_type.get(resource_type)
        return len(index.resources) if index is not None else 0

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """The resources matching every parameter (repeated parameters AND, comma-separated values OR)."""
        dated = [(name, value) for name, value in params if (resource_type, name) in _DATE_PATHS]
        date_ranges = [(name, _date_range(value)) for name, value in dated]
        index = self._by_type.get(resource_type)
        if index is None:
            return []
        # The sets first, so that a date range only checks the ids they leave when those are fewer.
        wanted: set[str] | None = None
        for name, value in params:
            found = _looked_up(index, resource_type, name, value)
            if found is not None:
                wanted = found if wanted is None else wanted & found
        for name, searched in date_ranges:
            wanted = _within_dates(index, name, searched, wanted)
        if wanted is None:
            return list(index.resources.values())
        return [index.resources[resource_id] for resource_id in sorted(wanted, key=index.order.__getitem__)]

    def scan(self, resource_type: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """The same search by reading every resource of the type: what the indexes must always agree with."""
        index = self._by_type.get(resource_type)
        matches: Iterator[dict[str, Any]] = iter(index.resources.values() if index is not None else ())
        for name, value in params:
            matches = _filter(matches, resource_type, name, value)
        return list(matches)

    def included(self, matches: list[dict[str, Any]], include: str) -> list[dict[str, Any]]:
        """``_include=<Type>:medication``: the Medications the matches refer to."""
        if not include.endswith(":medication"):
            return []
        found: dict[str, dict[str, Any]] = {}
        for resource in matches:
            reference = (resource.get("medicationReference") or {}).get("reference", "")
            medication = (
                self.read("Medication", reference.rsplit("/", 1)[-1]) if "Medication/" in reference else None
            )
            if medication is not None:
                found[medication["id"]] = medication
        return list(found.values())


def _token_field(resource_type: str) -> tuple[str, str] | None:
    """The search parameter a type's tokens are searched by, and the coding key holding the token's code."""
    if resource_type in _CODED_TYPES:
        return "code", "code"
    if resource_type == "Patient":
        return "identifier", "value"
    return None


def _codings(resource_type: str, resource: dict[str, Any]) -> list[dict[str, Any]]:
    codings = (
        (resource.get("code") or {}).get("coding")
        if resource_type in _CODED_TYPES
        else resource.get("identifier")
    )
    return [coding for coding in codings or () if isinstance(coding, dict)]


def _keys(
    resource_type: str, resource: dict[str, Any]
) -> tuple[str | None, set[tuple[str | None, str | None]]]:
    searched_by = _token_field(resource_type)
    if searched_by is None:
        return _patient_id(resource), set()
    code_key = searched_by[1]
    tokens = {(coding.get("system"), coding.get(code_key)) for coding in _codings(resource_type, resource)}
    return _patient_id(resource), {
        (system if isinstance(system, str) else None, code if isinstance(code, str) else None)
        for system, code in tokens
    }


def _index(index: _TypeIndex, resource_type: str, resource: dict[str, Any]) -> None:
    resource_id = resource["id"]
    patient_id, tokens = _keys(resource_type, resource)
    if patient_id is not None:
        index.by_patient.setdefault(patient_id, set()).add(resource_id)
    if tokens:
        index.coded.add(resource_id)
    for system, code in tokens:
        if system is not None:
            index.by_system.setdefault(system, set()).add(resource_id)
        if code is not None:
            index.by_code.setdefault(code, set()).add(resource_id)
        if system is not None and code is not None:
            index.by_coding.setdefault((system, code), set()).add(resource_id)
    for (of_type, name), paths in _DATE_PATHS.items():
        moment = _first_date(resource, paths) if of_type == resource_type else None
        if moment is not None:
            bisect.insort(index.moments.setdefault(name, []), (moment, index.order[resource_id], resource_id))
            index.moment_of.setdefault(name, {})[resource_id] = moment


def _unindex(index: _TypeIndex, resource_type: str, resource: dict[str, Any]) -> None:
    resource_id = resource["id"]
    patient_id, tokens = _keys(resource_type, resource)
    index.by_patient.get(patient_id or "", set()).discard(resource_id)
    index.coded.discard(resource_id)
    for system, code in tokens:
        index.by_system.get(system or "", set()).discard(resource_id)
        index.by_code.get(code or "", set()).discard(resource_id)
        index.by_coding.get((system or "", code or ""), set()).discard(resource_id)
    for name, moments in index.moments.items():
        moment = index.moment_of[name].pop(resource_id, None)
        if moment is not None:
            moments.remove((moment, index.order[resource_id], resource_id))


def _looked_up(index: _TypeIndex, resource_type: str, name: str, value: str) -> set[str] | None:
    """The ids one parameter allows, or None for a parameter the mock ignores."""
    if name == "_id":
        return {part for part in map(_unescape, _split(value, ",")) if part in index.resources}
    if name in ("patient", "subject"):
        patient_ids = {_unescape(part).rsplit("/", 1)[-1] for part in _split(value, ",")}
        return set().union(*(index.by_patient.get(patient_id, ()) for patient_id in patient_ids))
    searched_by = _token_field(resource_type)
    if searched_by is None or name != searched_by[0]:
        return None
    return set().union(*(_with_token(index, *_token(part)) for part in _split(value, ",")))


def _with_token(index: _TypeIndex, system: str | None, code: str) -> set[str]:
    """An empty code matches any coding of the system; no system matches the code in any system."""
    if system is None:
        return index.by_code.get(code, set()) if code else index.coded
    if not code:
        return index.by_system.get(system, set())
    return index.by_coding.get((system, code), set())


def _within_dates(
    index: _TypeIndex, name: str, searched: tuple[str, datetime, datetime], wanted: set[str] | None
) -> set[str]:
    prefix, low, high = searched
    start, end = {"ge": (low, None), "gt": (high, None), "le": (None, high), "lt": (None, low)}.get(
        prefix, (low, high)
    )
    moments = index.moments.get(name, [])
    first = 0 if start is None else bisect.bisect_left(moments, (start,))
    last = len(moments) if end is None else bisect.bisect_left(moments, (end,))
    if wanted is not None and len(wanted) < last - first:
        moment_of = index.moment_of.get(name, {})
        return {
            resource_id
            for resource_id in wanted
            if resource_id in moment_of
            and (start is None or moment_of[resource_id] >= start)
            and (end is None or moment_of[resource_id] < end)
        }
    in_range = {resource_id for _, _, resource_id in moments[first:last]}
    return in_range if wanted is None else wanted & in_range


def _filter(
    resources: Iterator[dict[str, Any]], resource_type: str, name: str, value: str
) -> Iterator[dict[str, Any]]:
    if name == "_id":
        wanted = {_unescape(part) for part in _split(value, ",")}
        return (r for r in resources if r.get("id") in wanted)
    if name in ("patient", "subject"):
        patient_ids = {_unescape(part).rsplit("/", 1)[-1] for part in _split(value, ",")}
        return (r for r in resources if _patient_id(r) in patient_ids)
    if name == "identifier" and resource_type == "Patient":
        identifiers = [_token(part) for part in _split(value, ",")]
        return (r for r in resources if _any_matches(identifiers, r.get("identifier"), "value"))
    if name == "code" and resource_type in _CODED_TYPES:
        codes = [_token(part) for part in _split(value, ",")]
        return (r for r in resources if _any_matches(codes, (r.get("code") or {}).get("coding"), "code"))
    paths = _DATE_PATHS.get((resource_type, name))
    if paths is not None:
        prefix, low, high = _date_range(value)
        return (r for r in resources if _date_matches(_first_date(r, paths), prefix, low, high))
    return resources


def _patient_id(resource: dict[str, Any]) -> str | None:
    reference = (resource.get("subject") or resource.get("patient") or {}).get("reference")
    if not isinstance(reference, str) or "Patient/" not in reference:
        return None
    return reference.rsplit("/", 1)[-1]


def _split(value: str, separator: str) -> list[str]:
    """Split where ``separator`` is not escaped (FHIR search escaping); escapes stay for the next split."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            current.extend((char, next(chars, "")))
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    return _ESCAPE.sub(r"\1", value)


def _token(value: str) -> tuple[str | None, str]:
    """``system|code`` or a bare ``code`` (any system)."""
    parts = _split(value, "|")
    if len(parts) == 1:
        return None, _unescape(parts[0])
    return _unescape(parts[0]), _unescape("|".join(parts[1:]))


def _any_matches(tokens: list[tuple[str | None, str]], codings: Any, code_key: str) -> bool:
    for coding in codings or ():
        for system, code in tokens:
            if (system is None or coding.get("system") == system) and (
                not code or coding.get(code_key) == code
            ):
                return True
    return False


def _date_range(value: str) -> tuple[str, datetime, datetime]:
    prefix = value[:2] if value[:2] in _PREFIXES else "eq"
    text = value[2:] if value[:2] in _PREFIXES else value
    try:
        if len(text) == 4:
            low = datetime(int(text), 1, 1, tzinfo=UTC)
            return prefix, low, low.replace(year=low.year + 1)
        if len(text) == 7:
            low = datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
            return prefix, low, (low + timedelta(days=32)).replace(day=1)
        low = _aware(datetime.fromisoformat(text))
    except ValueError as exc:
        raise SearchError(f"invalid date search value {value!r}") from exc
    return prefix, low, low + (timedelta(days=1) if len(text) == 10 else timedelta(seconds=1))


def _first_date(resource: dict[str, Any], paths: tuple[str, ...]) -> datetime | None:
    for path in paths:
        node: Any = resource
        for step in path.split("."):
            node = node.get(step) if isinstance(node, dict) else None
        if isinstance(node, str):
            try:
                return _aware(datetime.fromisoformat(node if len(node) >= 10 else f"{node}-01-01"[:10]))
            except ValueError:
                return None
    return None


def _date_matches(moment: datetime | None, prefix: str, low: datetime, high: datetime) -> bool:
    if moment is None:
        return False
    if prefix == "ge":
        return moment >= low
    if prefix == "gt":
        return moment >= high
    if prefix == "le":
        return moment < high
    if prefix == "lt":
        return moment < low
    return low <= moment < high


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _rewrite_references(node: Any, local: dict[str, str]) -> Any:
    if isinstance(node, dict):
        reference = node.get("reference")
        if isinstance(reference, str) and reference in local:
            node["reference"] = local[reference]
        for value in node.values():
            _rewrite_references(value, local)
    elif isinstance(node, list):
        for item in node:
            _rewrite_references(item, local)
    return node
