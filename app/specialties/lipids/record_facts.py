"""Lipid facts from the parts of a normalised record: results with their units, problems, medicines, patient.

The one place the record becomes facts, so the summary, case finding and worklist read the same thing. A
result whose unit is missing or foreign is left out and named in the warnings, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from app.specialties.lipids import coded
from app.specialties.lipids.facts import LipidFacts
from app.specialties.lipids.profile import LipidResult, lipid_series
from app.specialties.lipids.units import Lipid, to_mmol_per_litre
from schemas.clinical import Condition, Medication, Patient


@dataclass(frozen=True, slots=True)
class ReportedLipid:
    """A lipid result as the record holds it: its day, value, unit and comparator, unconverted."""

    day: date
    value: float
    unit: str | None
    comparator: str | None = None


def lipid_facts(
    *,
    today: date,
    patient: Patient,
    results: Mapping[Lipid, Sequence[ReportedLipid]],
    conditions: Sequence[Condition],
    medications: Sequence[Medication],
    record_complete: bool,
) -> tuple[LipidFacts, list[str]]:
    """The facts every lipid rule reads, and a warning for each result refused for its unit."""
    converted: dict[Lipid, list[LipidResult]] = {}
    warnings: list[str] = []
    for lipid, series in results.items():
        for item in series:
            value = to_mmol_per_litre(lipid, item.value, item.unit)
            if value is None:
                warnings.append(f"{lipid.value} {item.value} on {item.day} left out: unit {item.unit!r}")
                continue
            converted.setdefault(lipid, []).append(LipidResult(item.day, value, item.comparator))
    facts = LipidFacts(
        today=today,
        birth_date=patient.birth_date,
        sex=patient.sex.value,
        lipids=lipid_series(converted),
        lipid_lowering=coded.lipid_lowering(medications),
        coronary_heart_disease=coded.CORONARY_HEART_DISEASE.findings(conditions),
        cerebral_or_peripheral_vascular_disease=coded.CEREBRAL_OR_PERIPHERAL.findings(conditions),
        familial_hypercholesterolaemia=coded.FAMILIAL_HYPERCHOLESTEROLAEMIA.findings(conditions),
        tendon_xanthoma=coded.TENDON_XANTHOMA.findings(conditions),
        corneal_arcus=coded.CORNEAL_ARCUS.findings(conditions),
        fh_mutation=coded.FH_MUTATION.findings(conditions),
        diabetes=coded.DIABETES.findings(conditions),
        excess_alcohol=coded.EXCESS_ALCOHOL.findings(conditions),
        record_complete=record_complete,
    )
    return facts, warnings
