"""What the lipid rules read: the lipid series, the coded history the rules weigh, and the patient's age.

Built once from the normalised record; every rule (summary criteria, case finding, worklist highlights) reads
this and nothing else, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.specialties.envelope import age_on
from app.specialties.lipids.profile import LipidSeries


@dataclass(frozen=True, slots=True)
class CodedFinding:
    """A coded problem as evidence names it, with its onset when the record gives one."""

    label: str
    onset: date | None = None


@dataclass(frozen=True, slots=True)
class LipidLoweringMedicine:
    """A lipid-lowering medicine and the earliest date the record shows it prescribed."""

    name: str
    started: date | None
    active: bool


@dataclass(frozen=True, slots=True)
class LipidFacts:
    today: date
    birth_date: date | None
    sex: str
    """"male", "female", "other" or "unknown": DLCN's "premature" is under 55 for men, under 60 for women."""
    lipids: LipidSeries
    lipid_lowering: tuple[LipidLoweringMedicine, ...] = ()
    coronary_heart_disease: tuple[CodedFinding, ...] = ()
    cerebral_or_peripheral_vascular_disease: tuple[CodedFinding, ...] = ()
    familial_hypercholesterolaemia: tuple[CodedFinding, ...] = ()
    tendon_xanthoma: tuple[CodedFinding, ...] = ()
    corneal_arcus: tuple[CodedFinding, ...] = ()
    fh_mutation: tuple[CodedFinding, ...] = ()
    diabetes: tuple[CodedFinding, ...] = ()
    excess_alcohol: tuple[CodedFinding, ...] = ()
    record_complete: bool = True

    def age_on(self, day: date) -> int | None:
        """Completed years of age on ``day``; None without a date of birth."""
        return None if self.birth_date is None else age_on(self.birth_date, day)

    @property
    def cardiovascular_disease(self) -> tuple[CodedFinding, ...]:
        """Established CVD for secondary prevention: coronary, cerebrovascular or peripheral arterial."""
        return self.coronary_heart_disease + self.cerebral_or_peripheral_vascular_disease
