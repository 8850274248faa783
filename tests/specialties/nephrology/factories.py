"""Small builders of canonical record parts: a test states only what its rule reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from schemas.clinical import (
    SNOMED,
    BloodPressure,
    ClinicalRecord,
    Coding,
    Condition,
    Measurement,
    Medication,
    Patient,
    Provenance,
    Sex,
    SourceStatus,
)
from tests.support.catalogue import CATALOGUE

PRACTICE = "A12345"
NHS_NUMBER = "9434765919"


def day(text: str) -> date:
    return date.fromisoformat(text)


def at(text: str, hour: int = 9) -> datetime:
    """A sample time: ``2024-01-31`` at 09:00 UTC, or at ``hour``."""
    return datetime.combine(day(text), datetime.min.time(), UTC).replace(hour=hour)


def provenance(code: str = "test", *, display: str | None = None, system: str = SNOMED) -> Provenance:
    return Provenance(PRACTICE, "fhir-r4", f"res-{code}", Coding(system, code, display), None)


def result(
    analyte: str,
    when: str | datetime,
    value: float,
    *,
    comparator: str | None = None,
    code: Coding | None = None,
) -> Measurement:
    taken_at = at(when) if isinstance(when, str) else when
    source = provenance() if code is None else provenance(code.code, display=code.display, system=code.system)
    unit = CATALOGUE.definition(analyte).canonical_unit
    return Measurement(analyte, taken_at, value, unit, source, comparator)


def egfr(when: str | datetime, value: float, comparator: str | None = None) -> Measurement:
    return result("egfr", when, value, comparator=comparator)


def creatinine(when: str | datetime, value: float, comparator: str | None = None) -> Measurement:
    return result("creatinine", when, value, comparator=comparator)


def acr(when: str | datetime, value: float, comparator: str | None = None) -> Measurement:
    return result("acr", when, value, comparator=comparator)


def blood_pressure(when: str, systolic: float, diastolic: float) -> BloodPressure:
    return BloodPressure(at(when), systolic, diastolic, provenance("75367002"))


def medication(name: str, *, status: str = "active", display: str | None = None) -> Medication:
    codings = () if display is None else (Coding("https://dmd.nhs.uk", "0", display),)
    return Medication(name, codings, status, None, None, provenance("medication"))


def condition(
    code: str | None = None,
    display: str | None = None,
    *,
    onset: str | None = None,
    system: str = SNOMED,
) -> Condition:
    codings = () if code is None else (Coding(system, code, display),)
    return Condition(
        codings, display, "active", None if onset is None else day(onset), provenance("condition")
    )


def patient(*, born: str | None = "1960-06-15", sex: Sex = Sex.MALE) -> Patient:
    return Patient(NHS_NUMBER, "Alex Test", None if born is None else day(born), sex)


def record(
    *results: Measurement,
    who: Patient | None = None,
    blood_pressures: Iterable[BloodPressure] = (),
    medications: Iterable[Medication] = (),
    conditions: Iterable[Condition] = (),
    sources: Iterable[SourceStatus] | None = None,
    warnings: Iterable[str] = (),
    withheld: int = 0,
    dropped: int = 0,
) -> ClinicalRecord:
    """A record of ``results`` (grouped by analyte, oldest first) and whatever else the test names."""
    measurements: dict[str, list[Measurement]] = {}
    for measurement in sorted(results, key=lambda m: m.taken_at):
        measurements.setdefault(measurement.analyte, []).append(measurement)
    return ClinicalRecord(
        patient=who or patient(),
        measurements=measurements,
        blood_pressures=sorted(blood_pressures, key=lambda reading: reading.taken_at),
        medications=list(medications),
        conditions=list(conditions),
        sources=list(sources) if sources is not None else [SourceStatus(PRACTICE, "fhir-r4", "ok")],
        warnings=list(warnings),
        withheld_confidential=withheld,
        dropped_implausible=dropped,
    )
