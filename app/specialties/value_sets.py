"""Value sets a specialty keeps as FHIR R4 ValueSet files in its folder, matched by code or display pattern.

A file's ``compose.include`` lists codes (every spelling of its system is accepted) and regex ``filter``
values naming the wording; ``compose.exclude`` filters are negations that cancel a wording match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from app.records.value_sets import SYSTEM_SPELLINGS
from schemas.clinical import Coding, Condition


@dataclass(frozen=True, slots=True)
class ValueSet:
    codes: frozenset[tuple[str, str]]
    include: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]

    def matches(self, codings: tuple[Coding, ...], text: str = "") -> bool:
        """A listed code, or wording a pattern names that no exclusion (a negation) cancels."""
        if any((coding.system, coding.code.strip()) in self.codes for coding in codings):
            return True
        words = " ".join([text, *(coding.display or "" for coding in codings)])
        return any(p.search(words) for p in self.include) and not any(p.search(words) for p in self.exclude)


@cache
def value_set_in(folder: Path, name: str) -> ValueSet:
    """The value set ``folder/<name>.json``, read once."""
    compose = json.loads((folder / f"{name}.json").read_text())["compose"]
    codes = {
        (s, c["code"])
        for i in compose["include"]
        for c in i.get("concept", ())
        for s in SYSTEM_SPELLINGS[i["system"]]
    }
    rules = {
        part: tuple(re.compile(f["value"]) for i in compose.get(part, ()) for f in i.get("filter", ()))
        for part in ("include", "exclude")
    }
    return ValueSet(frozenset(codes), rules["include"], rules["exclude"])


def matching(
    names: Iterable[str], value_set: Callable[[str], ValueSet], codings: tuple[Coding, ...], text: str
) -> frozenset[str]:
    """The names whose value set matches the codings or text: a medicine's classes, a problem's groups."""
    return frozenset(name for name in names if value_set(name).matches(codings, text))


def coded_onsets(
    conditions: Sequence[Condition], names: Iterable[str], value_set: Callable[[str], ValueSet]
) -> dict[str, date | None]:
    """Each named value set a coded problem matches, with its problems' latest onset (None when undated)."""
    found: dict[str, date | None] = {}
    for name in names:
        for condition in conditions:
            if value_set(name).matches(condition.codings, condition.display or ""):
                found[name] = max((d for d in (found.get(name), condition.onset) if d), default=None)
    return found
