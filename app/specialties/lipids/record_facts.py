"""Lipid facts from a normalised record: the one place the record becomes what every lipid rule reads.

Results arrive in mmol/L already: the analyte catalogue converted mg/dL and refused, with a warning on the
record, any result without a lipid unit.
"""

from __future__ import annotations

from datetime import date

from app.specialties.lipids import coded
from app.specialties.lipids.facts import LipidFacts
from app.specialties.lipids.profile import LipidResult, lipid_series
from app.specialties.lipids.units import Lipid
from schemas.clinical import ClinicalRecord


def lipid_facts(record: ClinicalRecord, today: date) -> LipidFacts:
    """The facts the summary, case finding and worklist read, so they cannot disagree."""
    results = {
        lipid: [LipidResult(m.taken_at.date(), m.value, m.comparator) for m in record.series(lipid.value)]
        for lipid in Lipid
    }
    conditions = record.conditions
    return LipidFacts(
        today=today,
        birth_date=record.patient.birth_date,
        sex=record.patient.sex.value,
        lipids=lipid_series(results),
        lipid_lowering=coded.lipid_lowering(record.medications),
        coronary_heart_disease=coded.CORONARY_HEART_DISEASE.findings(conditions),
        cerebral_or_peripheral_vascular_disease=coded.CEREBRAL_OR_PERIPHERAL.findings(conditions),
        familial_hypercholesterolaemia=coded.FAMILIAL_HYPERCHOLESTEROLAEMIA.findings(conditions),
        tendon_xanthoma=coded.TENDON_XANTHOMA.findings(conditions),
        corneal_arcus=coded.CORNEAL_ARCUS.findings(conditions),
        fh_mutation=coded.FH_MUTATION.findings(conditions),
        diabetes=coded.DIABETES.findings(conditions),
        excess_alcohol=coded.EXCESS_ALCOHOL.findings(conditions),
        record_complete=record.complete,
    )
