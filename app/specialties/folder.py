"""A specialty's folder as data: ``rules.json`` declares what every specialty otherwise codes the same way.

``rules.json`` holds the specialty's ``code``, ``title``, ``description`` and ``source``; its ``analytes``
(``conversions`` as ``UnitConversion`` fields, the first unit canonical; ``plausible``; ``unitless``; and,
for banded ones, ``bands`` lowest first with ``limits`` per unit); its ``conditions`` (value-set names);
``band_criteria`` and ``criteria`` (code → title and the wording its rule reads); ``case_finding_rules``;
``advice_outcomes``; ``follow_up_actions`` with ``follow_up_satisfied_by``; and ``letter_series``.
Medicine classes are the ``value_sets/medicine-<class>.json`` files; docs/adding-a-specialty.md
describes each part.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Self

from app.records.analytes import AnalyteDefinition, PlausibleRange, UnitConversion
from app.specialties.base import CaseFindingRule, CriterionDefinition, FollowUpActionDefinition, ThresholdBand
from app.specialties.case_finding import criteria_rules
from app.specialties.envelope import age_on
from app.specialties.outcomes import months_before
from app.specialties.readings import Band, Limit, ReportedAnalyte
from app.specialties.value_sets import ValueSet, coded_onsets, matching, value_set_in
from schemas.clinical import ClinicalRecord, Coding, Medication, Sex


@dataclass(frozen=True, slots=True)
class Medicine:
    """A medicine as rules read it: the classes its codings or name match, when last issued, and if active."""

    name: str
    classes: frozenset[str]
    last_issued: date | None
    active: bool = True


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """What rules read beside results; a specialty's facts extend it with theirs. ``conditions``: each coded
    condition value set's name and its latest onset (None when undated)."""

    today: date
    medicines: tuple[Medicine, ...] = ()
    conditions: Mapping[str, date | None] = field(default_factory=dict)
    age: int | None = None
    female: bool = False
    record_complete: bool = True

    @classmethod
    def from_record(cls, folder: SpecialtyFolder, record: ClinicalRecord, today: date) -> Self:
        birth = record.patient.birth_date
        age = None if birth is None else age_on(birth, today)
        female = record.patient.sex is Sex.FEMALE
        return cls(
            today, folder.medicines(record), folder.coded_conditions(record), age, female, record.complete
        )

    def coded_within(self, condition: str, months: int) -> date | None:
        """The condition's latest onset when it is within ``months`` (an undated one is not)."""
        onset = self.conditions.get(condition)
        return onset if onset and onset >= months_before(self.today, months) else None

    def active_classes(self) -> frozenset[str]:
        return frozenset(c for m in self.medicines if m.active for c in m.classes)

    def issued_without_reason(self, suggesting: Mapping[str, str | None], months: int) -> list[str]:
        """Medicines issued within ``months`` of a class in ``suggesting`` whose other reason (a condition
        value set, or None for none) is not coded, each as ``name (issued date)``."""
        counted = {c for c, other in suggesting.items() if other not in self.conditions}
        since = months_before(self.today, months)
        issued = [
            m for m in self.medicines if m.last_issued and m.last_issued >= since and counted & m.classes
        ]
        return [f"{m.name} (issued {m.last_issued})" for m in issued]


class SpecialtyFolder:
    """The data in a specialty's folder, read once: its rules file and its value sets."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rules: Mapping[str, Any] = json.loads((path / "rules.json").read_text())
        self.source: str = self.rules["source"]
        self.conditions: tuple[str, ...] = tuple(self.rules["conditions"])
        self.medicine_classes = tuple(
            sorted(p.stem.removeprefix("medicine-") for p in (path / "value_sets").glob("medicine-*.json"))
        )

    @classmethod
    def beside(cls, module_file: str) -> SpecialtyFolder:
        """The folder of a specialty's module (``SpecialtyFolder.beside(__file__)``)."""
        return cls(Path(module_file).parent)

    def value_set(self, name: str) -> ValueSet:
        return value_set_in(self.path / "value_sets", name)

    @cached_property
    def reported(self) -> Mapping[str, ReportedAnalyte]:
        return {spec["code"]: _reported(spec) for spec in self.rules["analytes"]}

    def analyte(self, code: str) -> ReportedAnalyte:
        return self.reported[code]

    def analytes(self, *shared: AnalyteDefinition) -> tuple[AnalyteDefinition, ...]:
        """The folder's analytes for the records layer's catalogue, then the shared ones the rules read."""
        return (*(self._definition(spec) for spec in self.rules["analytes"]), *shared)

    def _definition(self, spec: Mapping[str, Any]) -> AnalyteDefinition:
        conversions = tuple(
            UnitConversion(tuple(c["units"]), c.get("scale", 1.0), c.get("offset", 0.0), c.get("round_to"))
            for c in spec["conversions"]
        )
        return AnalyteDefinition(
            spec["code"],
            spec["title"],
            conversions[0].units[0],
            conversions,
            PlausibleRange(*spec["plausible"]),
            (str(self.path / "value_sets" / f"{spec['code']}.json"),),
            self.source,
            unitless=spec.get("unitless", "refuse"),
        )

    def criteria(self) -> tuple[CriterionDefinition, ...]:
        """Every referral criterion: the band criteria first, each with the folder's source."""
        declared = [
            *self.rules.get("band_criteria", {}).get("bands", {}).values(),
            *self.rules["criteria"].values(),
        ]
        return tuple(CriterionDefinition(c["code"], c["title"], self.source) for c in declared)

    def case_finding_rules(self) -> tuple[CaseFindingRule, ...]:
        """The referral criteria as rules, then the folder's own searches."""
        own = (CaseFindingRule(**rule) for rule in self.rules.get("case_finding_rules", ()))
        return (*criteria_rules(self.criteria()), *own)

    def case_finding_rule(self, code: str) -> CaseFindingRule:
        return next(rule for rule in self.case_finding_rules() if rule.code == code)

    def follow_up_actions(self) -> tuple[FollowUpActionDefinition, ...]:
        """Actions with default days; each ``follow_up_satisfied_by`` group is met by any one analyte."""
        satisfied_by: Mapping[str, list[list[str]]] = self.rules.get("follow_up_satisfied_by", {})
        return tuple(
            FollowUpActionDefinition(
                code, title, days, tuple(frozenset(g) for g in satisfied_by.get(code, ()))
            )
            for code, title, days in self.rules["follow_up_actions"]
        )

    def thresholds(self) -> Mapping[str, tuple[ThresholdBand, ...]]:
        """Each banded analyte's chart bands, where its bands are labelled for a chart."""
        charts = {code: analyte.chart() for code, analyte in self.reported.items()}
        return {code: bands for code, bands in charts.items() if bands}

    def medicine_classes_of(self, codings: tuple[Coding, ...], name: str) -> frozenset[str]:
        return matching(self.medicine_classes, lambda c: self.value_set(f"medicine-{c}"), codings, name)

    def medicines(self, record: ClinicalRecord) -> tuple[Medicine, ...]:
        return tuple(_medicine(m, self.medicine_classes_of(m.codings, m.name)) for m in record.medications)

    def coded_conditions(self, record: ClinicalRecord) -> dict[str, date | None]:
        """Each declared condition a coded problem matches, with its latest onset (None when undated)."""
        return coded_onsets(record.conditions, self.conditions, self.value_set)


def _medicine(medication: Medication, classes: frozenset[str]) -> Medicine:
    return Medicine(medication.name, classes, medication.authored_on, medication.status == "active")


def _reported(spec: Mapping[str, Any]) -> ReportedAnalyte:
    conversions = spec["conversions"]
    canonical = conversions[0]["units"][0]
    limits = spec.get("limits")
    return ReportedAnalyte(
        spec["code"],
        spec["title"],
        canonical,
        {u.strip().lower(): c["units"][0] for c in conversions for u in c["units"]},
        {c["units"][0]: c["scale"] for c in conversions[1:]},
        tuple(Band(**band) for band in spec.get("bands", ())),
        {unit: tuple(Limit(op, float(v)) for op, v in ls) for unit, ls in limits.items()} if limits else None,
    )
