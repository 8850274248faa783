"""What the diabetes clinic declares: its criteria with sources, advice outcomes and follow-up actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from app.specialties.base import CriterionDefinition, FollowUpActionDefinition
from app.specialties.diabetes.criteria import TITLES
from app.specialties.outcomes import CriterionOutcome

NG28 = "NICE NG28 (2015, updated 2022), 1.5.7-1.5.10"
SOURCES = {
    "hba1c-above-individual-target": f"{NG28}, 1.5.7",
    "hba1c-58-or-more-intensify": f"{NG28}, 1.5.8",
    "hba1c-over-75": "NICE indicator IND136 (QOF DM009); NCL ICB LTC LCS R5.0 priority group 2",
    "hba1c-over-90": "NCL ICB LTC LCS R5.0 priority group 1",
    "rising-hba1c": "Wandsworth diabetes referral criteria (rise of 0.5% in 6 months)",
    "undiagnosed-diabetes-range": "WHO 2011 (HbA1c in diagnosis); NICE PH38 1.6.5",
    "ndh-range": "NICE PH38 1.6.5; NICE indicator IND172; NCL ICB NDPP search",
    "hypo-risk-on-su-or-insulin-with-low-hba1c": f"{NG28}, 1.5.9-1.5.10",
}

DIABETES_CRITERIA = tuple(CriterionDefinition(code, TITLES[code], SOURCES[code]) for code in TITLES)

# The analytes a repeat test shows in the record as; "annual care processes" also asks for feet and eyes,
# which no result shows, so it stays with the practice to mark done.
_HBA1C = (frozenset({"hba1c"}),)
_GLYCAEMIA = (frozenset({"hba1c", "fasting-glucose"}),)
DIABETES_ACTIONS = (
    FollowUpActionDefinition(
        "repeat-hba1c-3-months", "Repeat HbA1c in 3 months after a change", 91, satisfied_by=_HBA1C
    ),
    FollowUpActionDefinition(
        "repeat-hba1c-6-months", "Repeat HbA1c in 6 months when stable", 182, satisfied_by=_HBA1C
    ),
    FollowUpActionDefinition(
        "confirm-diagnosis-repeat-test", "Repeat HbA1c or FPG to confirm", 14, satisfied_by=_GLYCAEMIA
    ),
    FollowUpActionDefinition(
        "ndh-annual-test", "Annual HbA1c or fasting glucose for NDH", 365, satisfied_by=_GLYCAEMIA
    ),
    FollowUpActionDefinition("refer-diabetes-prevention", "Refer to the NHS DPP", 30),
    FollowUpActionDefinition("intensify-treatment", "Intensify glucose-lowering treatment", 30),
    FollowUpActionDefinition("review-hypoglycaemia-risk", "Review hypoglycaemia risk", 14),
    FollowUpActionDefinition("annual-care-processes", "Annual ACR, eGFR, feet and eyes", 365),
    FollowUpActionDefinition("structured-education", "Offer structured diabetes education", 60),
    FollowUpActionDefinition("refer-diabetes-clinic", "Refer to the diabetes clinic", 14),
)

ADVICE_OUTCOMES = ("return-with-advice", "further-information-required", "converted-to-referral")

GlycaemicOutcome = Literal[
    "refer-urgent",
    "intensify",
    "above-target",
    "possible-new-diabetes",
    "ndh",
    "at-target",
    "insufficient-data",
]
"""The summary's one-word reading of the criteria, most pressing first."""

_OUTCOME_OF: tuple[tuple[str, GlycaemicOutcome], ...] = (
    ("hba1c-over-90", "refer-urgent"),
    ("hba1c-58-or-more-intensify", "intensify"),
    ("hba1c-above-individual-target", "above-target"),
    ("undiagnosed-diabetes-range", "possible-new-diabetes"),
    ("ndh-range", "ndh"),
)


def glycaemic_outcome(outcomes: Sequence[CriterionOutcome]) -> GlycaemicOutcome:
    """The most pressing outcome a met criterion gives; at target when the target was judged and not met."""
    met = {o.code for o in outcomes if o.status == "met"}
    for code, outcome in _OUTCOME_OF:
        if code in met:
            return outcome
    target = next((o for o in outcomes if o.code == "hba1c-above-individual-target"), None)
    if target is not None and target.status == "not-met" and target.evidence.startswith("latest HbA1c"):
        return "at-target"
    return "insufficient-data"
