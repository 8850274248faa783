"""Coded history the lipid rules weigh, and lipid-lowering medicines, read from the record.

Condition codes come from the value-set files beside this module; display phrases stand in for records coded
in another scheme or with a descendant concept not listed, and a negated phrase ("no angina") does not count.
Examination findings and DNA results have no value set here: their UK codes are not settled in a published
list, so they are read from display text only, and DLCN counts them unknown when nothing matches.

Medicines are classed by ingredient name, as nephrology classes them: the -vastatin stem, and by name for the
rest (ezetimibe, PCSK9 antibodies, inclisiran, bempedoic acid, fibrates, icosapent ethyl) and common brands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from app.records.value_sets import load_value_set
from app.specialties.lipids.facts import CodedFinding, LipidLoweringMedicine
from app.specialties.lipids.units import VALUE_SETS
from schemas.clinical import SNOMED, Condition, Medication

_NEGATED = re.compile(r"\b(no|not|negative|absent|excluded|without|resolved)\b")


@cache
def value_set_codes(name: str, system: str = SNOMED) -> frozenset[str]:
    """The codes of one system in a value-set file of this folder."""
    return frozenset(c.code for c in load_value_set(str(VALUE_SETS / f"{name}.json")) if c.system == system)


@dataclass(frozen=True, slots=True)
class ConditionReader:
    """A value set (possibly none) and the display phrases that stand in for it."""

    value_set: str | None
    phrases_text: str

    @property
    def phrases(self) -> list[str]:
        return self.phrases_text.split("|")

    def matches(self, condition: Condition) -> bool:
        codes = value_set_codes(self.value_set) if self.value_set else frozenset()
        if any(c.system == SNOMED and c.code.strip() in codes for c in condition.codings):
            return True
        texts = [condition.display or "", *(c.display or "" for c in condition.codings)]
        return any(
            any(p in text.lower() for p in self.phrases) and not _NEGATED.search(text.lower())
            for text in texts
        )

    def findings(self, conditions: Sequence[Condition]) -> tuple[CodedFinding, ...]:
        return tuple(_finding(c) for c in conditions if self.matches(c))


def _finding(condition: Condition) -> CodedFinding:
    label = condition.display or next((c.display or c.code for c in condition.codings), "a coded condition")
    return CodedFinding(label, condition.onset)


_Reader = ConditionReader
CORONARY_HEART_DISEASE = _Reader(
    "coronary-heart-disease", "myocardial infarction|angina|coronary|ischaemic heart|ischemic heart|cabg"
)
CEREBRAL_OR_PERIPHERAL = _Reader(
    "cerebral-or-peripheral-vascular-disease",
    "stroke|cerebral infarction|transient isch|peripheral arterial|peripheral vascular|claudication",
)
FAMILIAL_HYPERCHOLESTEROLAEMIA = _Reader(
    "familial-hypercholesterolaemia", "familial hypercholesterolaemia|familial hypercholesterolemia"
)
TENDON_XANTHOMA = _Reader(None, "tendon xanthoma|tendinous xanthoma|xanthoma of tendon")
CORNEAL_ARCUS = _Reader(None, "corneal arcus|arcus cornealis|arcus juvenilis|arcus senilis")
FH_MUTATION = _Reader(
    None, "ldlr mutation|ldlr variant|apob mutation|pcsk9 mutation|genetically confirmed familial"
)
DIABETES = _Reader("diabetes", "diabetes mellitus|type 1 diabetes|type 2 diabetes")
EXCESS_ALCOHOL = _Reader(
    None, "alcohol misuse|alcohol dependence|harmful drinking|hazardous drinking|alcoholism"
)

_BRANDS_AND_INGREDIENTS = (
    "ezetimibe alirocumab evolocumab inclisiran bempedoic fenofibrate bezafibrate gemfibrozil ciprofibrate",
    "icosapent lipitor crestor zocor ezetrol inegy praluent repatha leqvio nilemdo nustendi vazkepa",
)
_LIPID_LOWERING_NAMES = frozenset(word for line in _BRANDS_AND_INGREDIENTS for word in line.split())
_WORD = re.compile(r"[a-z]+")


def is_lipid_lowering(text: str) -> bool:
    """Whether a medicine description names a lipid-lowering ingredient or brand."""
    words = _WORD.findall(text.lower())
    return any(w in _LIPID_LOWERING_NAMES or (w.endswith("vastatin") and len(w) > 8) for w in words)


def lipid_lowering(medications: Sequence[Medication]) -> tuple[LipidLoweringMedicine, ...]:
    """Each lipid-lowering medicine once: its earliest date (None if an entry lacks one), and if active."""
    earliest: dict[str, date | None] = {}
    active: dict[str, bool] = {}
    for m in medications:
        if not is_lipid_lowering(" ".join([m.name, *(c.display or "" for c in m.codings)])):
            continue
        seen = earliest.get(m.name, m.authored_on)
        earliest[m.name] = None if seen is None or m.authored_on is None else min(seen, m.authored_on)
        active[m.name] = active.get(m.name, False) or m.status == "active"
    return tuple(LipidLoweringMedicine(name, earliest[name], active[name]) for name in earliest)
