"""Builders of lipid facts: a test states only the results and history its rule reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.records.analytes import AnalyteCatalogue
from app.specialties.lipids.facts import CodedFinding, LipidFacts, LipidLoweringMedicine
from app.specialties.lipids.profile import LipidResult, lipid_series
from app.specialties.lipids.units import LIPID_ANALYTES, Lipid

TODAY = date(2025, 6, 1)


def on(text: str, value: float, comparator: str | None = None) -> LipidResult:
    return LipidResult(date.fromisoformat(text), value, comparator)


def facts(
    *,
    born: str | None = "1970-01-01",
    sex: str = "female",
    tc: Sequence[LipidResult] = (),
    hdl: Sequence[LipidResult] = (),
    ldl: Sequence[LipidResult] = (),
    non_hdl: Sequence[LipidResult] = (),
    tg: Sequence[LipidResult] = (),
    complete: bool = True,
    statins: Sequence[LipidLoweringMedicine] = (),
    chd: Sequence[CodedFinding] = (),
    cvd_other: Sequence[CodedFinding] = (),
    xanthoma: Sequence[CodedFinding] = (),
    arcus: Sequence[CodedFinding] = (),
    mutation: Sequence[CodedFinding] = (),
    diabetes: Sequence[CodedFinding] = (),
) -> LipidFacts:
    series = lipid_series(
        {
            Lipid.TOTAL_CHOLESTEROL: tc,
            Lipid.HDL: hdl,
            Lipid.LDL: ldl,
            Lipid.NON_HDL: non_hdl,
            Lipid.TRIGLYCERIDES: tg,
        }
    )
    return LipidFacts(
        today=TODAY,
        birth_date=date.fromisoformat(born) if born else None,
        sex=sex,
        lipids=series,
        lipid_lowering=tuple(statins),
        coronary_heart_disease=tuple(chd),
        cerebral_or_peripheral_vascular_disease=tuple(cvd_other),
        tendon_xanthoma=tuple(xanthoma),
        corneal_arcus=tuple(arcus),
        fh_mutation=tuple(mutation),
        diabetes=tuple(diabetes),
        record_complete=complete,
    )


def finding(label: str, onset: str | None = None) -> CodedFinding:
    return CodedFinding(label, date.fromisoformat(onset) if onset else None)


def statin(started: str | None, *, name: str = "Atorvastatin 20mg tablets") -> LipidLoweringMedicine:
    return LipidLoweringMedicine(name, date.fromisoformat(started) if started else None, True)


LIPIDS = AnalyteCatalogue(LIPID_ANALYTES)


def in_mmol(lipid: Lipid, value: float, unit: str | None) -> float | None:
    """The value as normalisation reads it in mmol/L, or None when the catalogue refuses its unit."""
    conversion = LIPIDS.conversion_for(lipid.value, unit)
    return None if conversion is None else conversion.convert(value)
