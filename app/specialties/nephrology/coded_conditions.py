"""Coded problems the rules look for: haematuria, rare or genetic kidney disease, renal artery stenosis,
diabetes (for the NICE NG203 ACR exception and the albuminuria search), and chronic kidney disease by stage
(for the case-finding searches).

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

# CKD stage 3 to 5: the QOF CKD register's stages (its CKD_COD cluster), from the GM SDE ckd-stage-3, -4 and
# -5 code sets (UK edition: the "with/without proteinuria" and "G..A.." concepts; international: the staged
# and "due to" concepts US data send).
CKD_STAGE_3_TO_5_CODES = frozenset(
    {
        "433144002",  # Chronic kidney disease stage 3
        "700378005",  # Chronic kidney disease stage 3A
        "700379002",  # Chronic kidney disease stage 3B
        "324251000000105",  # Chronic kidney disease stage 3 with proteinuria
        "324281000000104",  # Chronic kidney disease stage 3 without proteinuria
        "324311000000101",  # Chronic kidney disease stage 3A with proteinuria
        "324341000000100",  # Chronic kidney disease stage 3A without proteinuria
        "324371000000106",  # Chronic kidney disease stage 3B with proteinuria
        "324411000000105",  # Chronic kidney disease stage 3B without proteinuria
        "949881000000106",  # CKD G3a A1
        "949901000000109",  # CKD G3a A2
        "949921000000100",  # CKD G3a A3
        "950061000000103",  # CKD G3b A1
        "950081000000107",  # CKD G3b A2
        "950101000000101",  # CKD G3b A3
        "731000119105",  # Chronic kidney disease stage 3 due to type 2 diabetes mellitus
        "90741000119107",  # Chronic kidney disease stage 3 due to type 1 diabetes mellitus
        "129171000119106",  # Chronic kidney disease stage 3 due to hypertension
        "431857002",  # Chronic kidney disease stage 4
        "324441000000106",  # Chronic kidney disease stage 4 with proteinuria
        "324471000000100",  # Chronic kidney disease stage 4 without proteinuria
        "950181000000106",  # CKD G4 A1
        "950211000000107",  # CKD G4 A2
        "950231000000104",  # CKD G4 A3
        "721000119107",  # Chronic kidney disease stage 4 due to type 2 diabetes mellitus
        "90751000119109",  # Chronic kidney disease stage 4 due to type 1 diabetes mellitus
        "129151000119102",  # Chronic kidney disease stage 4 due to hypertension
        "433146000",  # Chronic kidney disease stage 5
        "714152005",  # Chronic kidney disease stage 5 on dialysis
        "714153000",  # Chronic kidney disease stage 5 with transplant
        "324501000000107",  # Chronic kidney disease stage 5 with proteinuria
        "324541000000105",  # Chronic kidney disease stage 5 without proteinuria
        "950251000000106",  # CKD G5 A1
        "950291000000103",  # CKD G5 A2
        "950311000000102",  # CKD G5 A3
        "711000119100",  # Chronic kidney disease stage 5 due to type 2 diabetes mellitus
        "90761000119106",  # Chronic kidney disease stage 5 due to type 1 diabetes mellitus
        "129161000119100",  # Chronic kidney disease stage 5 due to hypertension
        "46177005",  # End-stage renal disease
    }
)
# CKD coded without a stage of 3 or more: unstaged, or stage 1 or 2. Not on the QOF register, so a patient
# with only these and two low eGFRs is still a coding gap; the evidence names the code the practice has.
CKD_OTHER_CODES = frozenset(
    {
        "709044004",  # Chronic kidney disease
        "431855005",  # Chronic kidney disease stage 1
        "431856006",  # Chronic kidney disease stage 2
        "324121000000109",  # Chronic kidney disease stage 1 with proteinuria
        "324151000000104",  # Chronic kidney disease stage 1 without proteinuria
        "324181000000105",  # Chronic kidney disease stage 2 with proteinuria
        "324211000000106",  # Chronic kidney disease stage 2 without proteinuria
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
CKD_STAGE_3_TO_5_PHRASES = (
    *(
        f"{term}{stage}"
        for term in ("chronic kidney disease stage ", "ckd stage ", "ckd g", "filtration rate category g")
        for stage in "345"
    ),
    "end stage renal",
    "end-stage renal",
    "end stage kidney",
    "end-stage kidney",
)
CKD_OTHER_PHRASES = ("chronic kidney disease", "ckd")

_NEGATED = re.compile(r"\b(no|not|negative|absent|excluded|without)\b")
# Part of a term's name, not a negation of it: "Chronic kidney disease stage 3A without proteinuria".
_QUALIFIER = re.compile(r"\bwith(out)? (proteinuria|albuminuria)\b")


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
    return any(phrase in text for phrase in phrases) and _NEGATED.search(_QUALIFIER.sub("", text)) is None


HAEMATURIA = ConditionMatcher(HAEMATURIA_CODES, HAEMATURIA_PHRASES)
RARE_OR_GENETIC_CAUSE = ConditionMatcher(RARE_OR_GENETIC_CODES, RARE_OR_GENETIC_PHRASES)
RENAL_ARTERY_STENOSIS = ConditionMatcher(RENAL_ARTERY_STENOSIS_CODES, RENAL_ARTERY_STENOSIS_PHRASES)
DIABETES = ConditionMatcher(DIABETES_CODES, DIABETES_PHRASES)
CKD_STAGE_3_TO_5 = ConditionMatcher(CKD_STAGE_3_TO_5_CODES, CKD_STAGE_3_TO_5_PHRASES)
CKD_OTHER = ConditionMatcher(CKD_OTHER_CODES, CKD_OTHER_PHRASES)


def condition_label(condition: Condition) -> str:
    """The condition as evidence names it: its display, else its first code."""
    if condition.display:
        return condition.display
    return next((coding.code for coding in condition.codings), "an uncoded condition")
