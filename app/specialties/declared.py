"""The declarative half of a ``Specialty``, read from its folder, so that a plug-in codes only its rules.

A plug-in subclasses ``DeclaredSpecialty`` with ``build_summary``, ``case_findings``, ``highlights`` and
``letter_series``, and makes its one object with ``from_folder``:
``HEART_FAILURE = HeartFailure.from_folder(FOLDER, HeartFailureSummary, HAEMOGLOBIN, CREATININE)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Self

from pydantic import BaseModel

from app.records.analytes import AnalyteDefinition
from app.records.needs import MEDICINE_HISTORY_YEARS, RecordNeeds, ResultNeed
from app.specialties.base import CaseFindingRule, CriterionDefinition, FollowUpActionDefinition, ThresholdBand
from app.specialties.folder import SpecialtyFolder
from schemas.api.summary import SpecialtySummary


@dataclass(frozen=True)
class DeclaredSpecialty:
    code: str
    title: str
    description: str
    analytes: tuple[AnalyteDefinition, ...]
    needs: RecordNeeds
    referral_criteria: tuple[CriterionDefinition, ...]
    case_finding_rules: tuple[CaseFindingRule, ...]
    advice_outcomes: tuple[str, ...]
    follow_up_actions: tuple[FollowUpActionDefinition, ...]
    summary_model: type[SpecialtySummary]
    thresholds: Mapping[str, tuple[ThresholdBand, ...]]
    settings_model: type[BaseModel] | None = None

    @classmethod
    def from_folder(
        cls, folder: SpecialtyFolder, summary_model: type[SpecialtySummary], *shared: AnalyteDefinition
    ) -> Self:
        """The folder's declaration; ``shared`` are the analytes from ``app.specialties.analytes`` it reads.

        Every analyte's whole history is read, and ``MEDICINE_HISTORY_YEARS`` of medicines.
        """
        rules, analytes = folder.rules, folder.analytes(*shared)
        return cls(
            code=rules["code"],
            title=rules["title"],
            description=rules["description"],
            analytes=analytes,
            needs=RecordNeeds(tuple(ResultNeed(a.code) for a in analytes), MEDICINE_HISTORY_YEARS),
            referral_criteria=folder.criteria(),
            case_finding_rules=folder.case_finding_rules(),
            advice_outcomes=tuple(rules["advice_outcomes"]),
            follow_up_actions=folder.follow_up_actions(),
            summary_model=summary_model,
            thresholds=MappingProxyType(dict(folder.thresholds())),
        )
