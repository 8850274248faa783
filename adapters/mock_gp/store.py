"""The mock GP's resources: loaded from JSON files, searched the way a FHIR R4 server would."""

from __future__ import annotations

import re
from collections.abc import Iterator
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


class ResourceStore:
    def __init__(self) -> None:
        self._by_type: dict[str, dict[str, dict[str, Any]]] = {}

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
        of_type = self._by_type.setdefault(resource["resourceType"], {})
        resource.setdefault("id", f"{resource['resourceType'].lower()}-{len(of_type) + 1}")
        of_type[resource["id"]] = resource
        return resource

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        return self._by_type.get(resource_type, {}).get(resource_id)

    def count(self, resource_type: str) -> int:
        return len(self._by_type.get(resource_type, {}))

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """The resources matching every parameter (repeated parameters AND, comma-separated values OR)."""
        matches: Iterator[dict[str, Any]] = iter(self._by_type.get(resource_type, {}).values())
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
