"""Glucose-lowering medicine classes, read from the names in value_sets/glucose-lowering-medicines.json.

As for nephrology's classes, the ingredient or brand names in a medicine's name and its codings' display text
decide the class; dm+d and RxNorm product codes are not used, since a wrong code table would misclassify
silently. The data file is the one place a name is added.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

_DATA = Path(__file__).parent / "value_sets" / "glucose-lowering-medicines.json"
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class MedicineClass:
    code: str
    title: str
    causes_hypoglycaemia: bool
    stems: tuple[str, ...]
    names: frozenset[str]

    def names_in(self, words: list[str]) -> bool:
        return any(
            word in self.names or any(word.endswith(stem) and word != stem for stem in self.stems)
            for word in words
        )


def _load() -> tuple[MedicineClass, ...]:
    raw = json.loads(_DATA.read_text(encoding="utf-8"))["classes"]
    return tuple(
        MedicineClass(
            code,
            entry["title"],
            bool(entry["hypoglycaemia"]),
            tuple(entry["stems"]),
            frozenset(entry["names"]),
        )
        for code, entry in raw.items()
    )


CLASSES: tuple[MedicineClass, ...] = _load()
CLASS_BY_CODE = {cls.code: cls for cls in CLASSES}
HYPOGLYCAEMIA_CLASSES = frozenset(cls.code for cls in CLASSES if cls.causes_hypoglycaemia)
"""Sulfonylureas, meglitinides and insulin: the drugs that set the 53 mmol/mol target (NICE NG28 1.5.7)."""


def glucose_lowering_classes(text: str) -> tuple[str, ...]:
    """The class codes a medicine description names, in the data file's order."""
    words = _WORD.findall(text.lower())
    return tuple(cls.code for cls in CLASSES if cls.names_in(words))


def class_title(code: str) -> str:
    return CLASS_BY_CODE[code].title
