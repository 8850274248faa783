"""Heart-failure value sets: FHIR R4 ValueSet files in ``value_sets/``, matched by code or display pattern."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.records.value_sets import SYSTEM_SPELLINGS
from schemas.clinical import Coding


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
def value_set(name: str) -> ValueSet:
    compose = json.loads((Path(__file__).parent / "value_sets" / f"{name}.json").read_text())["compose"]
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
