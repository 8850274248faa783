"""Dutch Lipid Clinic Network (DLCN) score for familial hypercholesterolaemia, from what the record codes.

Table: Nordestgaard et al., Eur Heart J 2013;34:3478, Table 1 (PMC3844152), read at source. Per group only the
highest applicable item counts. Points: family history 1 or 2; own premature coronary heart disease 2, own
premature cerebral or peripheral vascular disease 1 ("premature": under 55 in men, under 60 in women); tendon
xanthoma 6, corneal arcus under 45 4; LDL cholesterol >=8.5 mmol/L 8, 6.5-<8.5 5, 5.0-<6.5 3, 4.0-<5.0 1;
causative mutation in LDLR, APOB or PCSK9 8. Above 8 definite, 6-8 probable, 3-5 possible, under 3 unlikely.

Boundary choice: the source prints the LDL bands ">8.5" and "6.5-8.4", which leaves 8.4-8.5 without a band;
other printings say ">=8.5". Bands here are >=8.5 / 6.5-<8.5 / 5.0-<6.5 / 4.0-<5.0, so 8.45 scores 5 and 8.5
scores 8.

Each group is scored as a range, low to high. A group the record settles has low == high. A group the record
cannot hold is unknown and scores 0 to its maximum, and the criterion says so:
- family history (the degree of the relative and their age at the event are not coded reliably): 0-2;
- tendon xanthoma and corneal arcus, unless coded (examination findings seldom are): up to 6;
- DNA analysis, unless a causative mutation is coded: 0-8;
- LDL: DLCN wants the untreated LDL. A treated LDL under-scores, so any LDL is a lower bound; it is also the
  upper bound only when the record is complete and no lipid-lowering medicine was prescribed on or before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.specialties.lipids.facts import CodedFinding, LipidFacts
from app.specialties.lipids.profile import LipidResult, shown

LDL_BANDS: tuple[tuple[float, int], ...] = ((8.5, 8), (6.5, 5), (5.0, 3), (4.0, 1))
PREMATURE_AGE = {"male": 55, "female": 60}
"""Premature CHD, cerebral or peripheral vascular disease: onset under 55 in men, under 60 in women."""
PREMATURE_AGE_UNSURE = (55, 60)
"""Sex neither male nor female: under 55 is premature either way, 55-59 may be."""
ARCUS_AGE = 45


@dataclass(frozen=True, slots=True)
class GroupScore:
    group: str
    low: int
    high: int
    reason: str

    @property
    def known(self) -> bool:
        return self.low == self.high


@dataclass(frozen=True, slots=True)
class DlcnScore:
    groups: tuple[GroupScore, ...]

    @property
    def low(self) -> int:
        return sum(group.low for group in self.groups)

    @property
    def high(self) -> int:
        return sum(group.high for group in self.groups)


def category(score: int) -> str:
    """The DLCN diagnosis a total score gives."""
    if score > 8:
        return "definite"
    if score >= 6:
        return "probable"
    return "possible" if score >= 3 else "unlikely"


def ldl_points(ldl: float) -> int:
    """DLCN group 4 points for an untreated LDL cholesterol in mmol/L."""
    return next((points for floor, points in LDL_BANDS if ldl >= floor), 0)


def _ldl_bounds(result: LipidResult) -> tuple[int, int]:
    if result.comparator in (">", ">="):
        return ldl_points(result.value), 8
    if result.comparator in ("<", "<="):
        return 0, ldl_points(result.value)
    return ldl_points(result.value), ldl_points(result.value)


def _untreated(facts: LipidFacts, day: date) -> bool:
    if not facts.record_complete:
        return False
    return all(m.started is not None and m.started > day for m in facts.lipid_lowering)


def ldl_group(facts: LipidFacts) -> GroupScore:
    """Group 4 from every LDL on record, reported or Friedewald."""
    series = facts.lipids.ldl
    if not series:
        return GroupScore("LDL cholesterol", 0, 8, "no LDL on record")
    highest = max(series, key=lambda r: (_ldl_bounds(r)[0], r.value))
    low = _ldl_bounds(highest)[0]
    untreated = [r for r in series if _untreated(facts, r.day)]
    high = max((_ldl_bounds(r)[1] for r in untreated), default=8) if untreated else 8
    high = max(high, low)
    where = f"LDL {shown(highest)} on {highest.day}"
    if low == high:
        return GroupScore("LDL cholesterol", low, high, f"{where}, untreated")
    return GroupScore(
        "LDL cholesterol", low, high, f"{where}; no LDL known to be untreated, so it may under-score"
    )


def _premature(facts: LipidFacts, finding: CodedFinding) -> tuple[bool, bool]:
    """(certainly premature, possibly premature) for a coded vascular event."""
    age = facts.age_on(finding.onset) if finding.onset else None
    if age is None:
        return False, True
    sure = PREMATURE_AGE.get(facts.sex)
    certain, possible = (sure, sure) if sure is not None else PREMATURE_AGE_UNSURE
    return age < certain, age < possible


def _onset(finding: CodedFinding) -> str:
    return f"{finding.label} ({finding.onset})" if finding.onset else f"{finding.label} (no onset date)"


def clinical_history_group(facts: LipidFacts) -> GroupScore:
    """Group 2: own premature CHD (2) or premature cerebral or peripheral vascular disease (1)."""
    low = high = 0
    named: list[str] = []
    for findings, points in (
        (facts.coronary_heart_disease, 2),
        (facts.cerebral_or_peripheral_vascular_disease, 1),
    ):
        for finding in findings:
            certain, possible = _premature(facts, finding)
            low = max(low, points if certain else 0)
            high = max(high, points if possible else 0)
            named.append(_onset(finding))
    if not facts.record_complete:
        high = 2
    reason = "; ".join(named) if named else "no coronary, cerebral or peripheral vascular disease coded"
    return GroupScore("own premature vascular disease", low, high, reason)


def physical_group(facts: LipidFacts) -> GroupScore:
    """Group 3: tendon xanthoma (6) or corneal arcus under 45 (4); up to 6 unless xanthoma is coded."""
    if facts.tendon_xanthoma:
        return GroupScore("examination", 6, 6, f"coded: {_onset(facts.tendon_xanthoma[0])}")
    arcus = [(_onset(f), facts.age_on(f.onset) if f.onset else None) for f in facts.corneal_arcus]
    if any(age is not None and age < ARCUS_AGE for _, age in arcus):
        return GroupScore("examination", 4, 6, f"coded: {arcus[0][0]}; tendon xanthoma not coded")
    return GroupScore(
        "examination", 0, 6, "tendon xanthoma and corneal arcus under 45 are not coded, so unknown"
    )


def family_history_group() -> GroupScore:
    """Group 1: the record does not hold the relative's degree and age at the event reliably."""
    return GroupScore("family history", 0, 2, "first-degree family history is not held in the record")


def dna_group(facts: LipidFacts) -> GroupScore:
    """Group 5: a causative LDLR, APOB or PCSK9 mutation coded scores 8; otherwise unknown."""
    if facts.fh_mutation:
        return GroupScore("DNA analysis", 8, 8, f"coded: {facts.fh_mutation[0].label}")
    return GroupScore("DNA analysis", 0, 8, "no DNA result coded")


def dlcn_score(facts: LipidFacts) -> DlcnScore:
    """The DLCN score range the record supports, group by group."""
    return DlcnScore(
        (
            family_history_group(),
            clinical_history_group(facts),
            physical_group(facts),
            ldl_group(facts),
            dna_group(facts),
        )
    )
