"""Coded problems the referral criteria look for: haematuria, rare or genetic kidney disease, renal artery
stenosis, and diabetes (for the NICE NG203 ACR exception).

SNOMED CT codes first, limited to concepts checked against published value sets; display-text phrases as a
fallback for records coded in another scheme or with a descendant concept not listed. A phrase preceded by a
negation ("no haematuria", "haematuria absent") does not count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.records.value_sets import SNOMED_SYSTEMS
from schemas.clinical import Coding, Condition

HAEMATURIA_CODES = frozenset(
    {
        "34436003",  # Blood in urine
        "197941005",  # Frank haematuria
        "197940006",  # Microscopic haematuria
        "281858008",  # Recurrent microscopic haematuria
        "197938001",  # Painless haematuria
        "197939009",  # Painful haematuria
        "371020003",  # Renal haematuria
        "314280007",  # Haematuria of undiagnosed cause
    }
)
RARE_OR_GENETIC_CODES = frozenset(
    {
        "28728008",  # Polycystic kidney disease
        "765330003",  # Autosomal dominant polycystic kidney disease
        "16652001",  # Fabry's disease
    }
)
RENAL_ARTERY_STENOSIS_CODES = frozenset(
    {
        "302233006",  # Renal artery stenosis
        "123799005",  # Renovascular hypertension: NG203 refers known or suspected stenosis
    }
)
DIABETES_CODES = frozenset(
    {
        "73211009",  # Diabetes mellitus
        "44054006",  # Type 2 diabetes mellitus
        "46635009",  # Type 1 diabetes mellitus
    }
)

HAEMATURIA_PHRASES = ("haematuria", "hematuria", "blood in urine")
RARE_OR_GENETIC_PHRASES = (
    "polycystic kidney",
    "alport",
    "fabry",
    "cystinosis",
    "nephronophthisis",
    "medullary cystic kidney",
    "hyperoxaluria",
    "hereditary nephritis",
    "thin basement membrane",
    "tuberous sclerosis",
    "von hippel",
)
RENAL_ARTERY_STENOSIS_PHRASES = (
    "renal artery stenosis",
    "stenosis of renal artery",
    "renovascular",
    "fibromuscular dysplasia of renal artery",
)
DIABETES_PHRASES = ("diabetes mellitus", "type 1 diabetes", "type 2 diabetes", "diabetic")

_NEGATED = re.compile(r"\b(no|not|negative|absent|excluded|without)\b")


@dataclass(frozen=True, slots=True)
class ConditionMatcher:
    """A SNOMED code set and the display phrases that stand in for it."""

    codes: frozenset[str]
    phrases: tuple[str, ...]

    def matches(self, condition: Condition) -> bool:
        if any(_is_snomed_in(coding, self.codes) for coding in condition.codings):
            return True
        texts = [condition.display or "", *(coding.display or "" for coding in condition.codings)]
        return any(_mentions(text.lower(), self.phrases) for text in texts)

    def found_in(self, conditions: Sequence[Condition]) -> list[Condition]:
        return [condition for condition in conditions if self.matches(condition)]


def _is_snomed_in(coding: Coding, codes: frozenset[str]) -> bool:
    return (coding.code in codes or coding.code.strip() in codes) and coding.system in SNOMED_SYSTEMS


def _mentions(text: str, phrases: tuple[str, ...]) -> bool:
    return any(phrase in text for phrase in phrases) and _NEGATED.search(text) is None


HAEMATURIA = ConditionMatcher(HAEMATURIA_CODES, HAEMATURIA_PHRASES)
RARE_OR_GENETIC_CAUSE = ConditionMatcher(RARE_OR_GENETIC_CODES, RARE_OR_GENETIC_PHRASES)
RENAL_ARTERY_STENOSIS = ConditionMatcher(RENAL_ARTERY_STENOSIS_CODES, RENAL_ARTERY_STENOSIS_PHRASES)
DIABETES = ConditionMatcher(DIABETES_CODES, DIABETES_PHRASES)


def condition_label(condition: Condition) -> str:
    """The condition as evidence names it: its display, else its first code."""
    if condition.display:
        return condition.display
    return next((coding.code for coding in condition.codings), "an uncoded condition")
