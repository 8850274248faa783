"""Whether the record puts a patient on the diabetes register: value_sets/diabetes-conditions.json, then text.

A diabetes code counts unless a "diabetes resolved" code (QOF DMRES_COD) is dated on or after it, or the
problem itself is no longer active. Text stands in for descendant concepts not in the value set; text that
names non-diabetic hyperglycaemia, pre-diabetes, gestational diabetes, screening, a family history, a risk
or a leading negation is not diabetes. Diabetes "in remission" is still diabetes here: it is no new diagnosis.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from app.specialties.diabetes.facts import ConditionFact

_DATA = Path(__file__).parent / "value_sets" / "diabetes-conditions.json"


def _codes(kind: str) -> frozenset[str]:
    include = json.loads(_DATA.read_text(encoding="utf-8"))["compose"]["include"]
    return frozenset(
        concept["code"]
        for part in include
        for concept in part["concept"]
        if any(designation["value"] == kind for designation in concept["designation"])
    )


REGISTER_CODES = _codes("register")
RESOLVED_CODES = _codes("resolved")
_DIABETES_TEXT = re.compile(r"\bdiabet(es|ic)\b")
_NOT_DIABETES_TEXT = re.compile(
    r"non[- ]?diabetic|pre-?diabet|gestational|resolved|excluded|screening|family history|\brisk of|"
    r"no history of|^\W*(no|not|never)\b"
)
_RESOLVED_TEXT = re.compile(r"diabetes (mellitus )?resolved")


def _is_diabetes(condition: ConditionFact) -> bool:
    if REGISTER_CODES.intersection(condition.codes):
        return True
    text = condition.text.lower()
    return _DIABETES_TEXT.search(text) is not None and _NOT_DIABETES_TEXT.search(text) is None


def _is_resolution(condition: ConditionFact) -> bool:
    return bool(RESOLVED_CODES.intersection(condition.codes)) or bool(
        _RESOLVED_TEXT.search(condition.text.lower())
    )


def diabetes_on_register(conditions: Sequence[ConditionFact]) -> list[ConditionFact]:
    """The active diabetes problems not resolved by a later "diabetes resolved" code; empty when none."""
    coded = [c for c in conditions if c.active and _is_diabetes(c)]
    resolutions = [c.onset or date.min for c in conditions if _is_resolution(c)]
    if not coded or not resolutions:
        return coded
    resolved_on = max(resolutions)
    return [c for c in coded if c.onset is not None and c.onset > resolved_on]
