"""Narrowing an export to the codes asked for, with ``_typeFilter`` or without, never losing a resource.

``_typeFilter`` is experimental in Bulk Data Access 2.0, and servers get it wrong. The spec ORs repeated
``_typeFilter`` parameters, but one third-party server splits a value at its commas and ANDs the filters it
ends up with, so two codes for one type return only the resources carrying both: almost none, and no error.
A client cannot tell that server from one that ORs, nor an empty answer from a wrong one.

So the filters are planned in rounds, and each round is an export of its own that holds at most one
``_typeFilter`` per resource type: with one filter there is nothing to OR or AND, so every conforming
reading of it returns the same resources. Round ``i`` asks for the ``i``-th code of each type that has one
(and, in the first round, every type with no codes, unfiltered). The rounds cost one export job per code of
the type with the most codes; a practice turns ``_typeFilter`` on only where that is cheaper than downloading
every resource of the type, which is the default.

The client also filters every resource itself, in every round and with ``_typeFilter`` off: a server that
ignores the filter (``Prefer: handling=lenient`` allows it) sends more than asked, and the extra is dropped.
A resource carrying codes of two rounds arrives in both; it is kept only in the round of its first code, so
each resource is yielded once with no memory of what was seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from schemas.bulk import BulkCodeFilter, BulkExportRequest

# The element FHIR R4's ``code`` search parameter reads, for each type a filter may narrow.
_CODED_ELEMENT = {
    "Observation": "code",
    "Condition": "code",
    "MedicationRequest": "medicationCodeableConcept",
    "MedicationStatement": "medicationCodeableConcept",
}
_SEARCH_ESCAPED = str.maketrans({"\\": "\\\\", ",": "\\,", "|": "\\|", "$": "\\$"})


_Pairs = frozenset[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class ExportRound:
    """One export job: the types it asks for, the ``_typeFilter`` values it sends, and what it keeps.

    A resource of a type in ``keep`` is kept when it carries one of those codings and none of the type's
    codings in ``taken`` (those an earlier round yielded it for); a type absent from ``keep`` is kept whole.
    """

    resource_types: tuple[str, ...]
    type_filters: tuple[str, ...]
    keep: dict[str, _Pairs]
    taken: dict[str, _Pairs]

    def wants(self, resource: dict[str, Any]) -> bool:
        """Whether this round yields the resource."""
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str) or resource_type not in self.resource_types:
            return False
        wanted = self.keep.get(resource_type)
        if wanted is None:
            return True
        carried = _codings(resource_type, resource)
        return not wanted.isdisjoint(carried) and self.taken.get(resource_type, _NONE).isdisjoint(carried)


def plan_rounds(request: BulkExportRequest, *, use_type_filter: bool) -> list[ExportRound]:
    """The exports that together return exactly the resources ``request`` asks for, each once."""
    codes_of: dict[str, list[BulkCodeFilter]] = {}
    for code in dict.fromkeys(request.codes):
        codes_of.setdefault(code.resource_type, []).append(code)
    if not use_type_filter or not codes_of:
        keep = {t: _pairs(codes) for t, codes in codes_of.items()}
        return [ExportRound(request.resource_types, (), keep, {})]
    rounds = []
    for i in range(max(len(codes) for codes in codes_of.values())):
        coded = {t: codes for t, codes in codes_of.items() if len(codes) > i}
        types = request.resource_types if i == 0 else tuple(t for t in request.resource_types if t in coded)
        filters = tuple(type_filter(codes[i]) for codes in coded.values())
        keep = {t: _pairs(codes[i : i + 1]) for t, codes in coded.items()}
        taken = {t: _pairs(codes[:i]) for t, codes in coded.items()}
        rounds.append(ExportRound(types, filters, keep, taken))
    return rounds


def type_filter(code: BulkCodeFilter) -> str:
    """One ``_typeFilter`` value: a search for one coding, escaped for FHIR search and then for the URL."""
    token = f"{code.system.translate(_SEARCH_ESCAPED)}|{code.code.translate(_SEARCH_ESCAPED)}"
    return f"{code.resource_type}?code={quote(token, safe=':/|')}"


_NONE: _Pairs = frozenset()


def _pairs(codes: Iterable[BulkCodeFilter]) -> _Pairs:
    return frozenset((code.system, code.code) for code in codes)


def _codings(resource_type: str, resource: dict[str, Any]) -> set[tuple[str, str]]:
    concept = resource.get(_CODED_ELEMENT.get(resource_type, "code"))
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return {
        (coding["system"], coding["code"])
        for coding in codings or ()
        if isinstance(coding, dict)
        and isinstance(coding.get("system"), str)
        and isinstance(coding.get("code"), str)
    }
