"""How long the nephrology summary takes for a long record, beside parsing the same record's FHIR JSON.

Run: ``python -m bench.nephrology_summary``. A synthetic patient with 20 years of results (about 5,000
observations across analytes) is built in memory as a ``ClinicalRecord``; the same observations are written
as a FHIR R4 searchset Bundle. The bench times ``build_nephrology_summary`` and ``orjson.loads`` of the
bundle, best of several runs each, so the summary's cost reads against the floor any request pays to parse
its input.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import orjson

from app.specialties.nephrology.plugin import NEPHROLOGY
from app.specialties.nephrology.summary import build_nephrology_summary
from schemas.clinical import (
    LOINC,
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

PRACTICE = "A12345"
CANONICAL_UNITS = {analyte.code: analyte.canonical_unit for analyte in NEPHROLOGY.analytes}
YEARS = 20
START = datetime(2005, 1, 3, 9, 0, tzinfo=UTC)
TODAY = date(2025, 1, 1)
REPEATS = 15

# Results a year for each analyte: about 5,000 observations over 20 years. The laboratory reports an eGFR
# with five creatinine results in six (the sixth leaves one for the summary to calculate).
CREATININE_A_YEAR = 60
EGFR_EVERY = 6
YEARLY: dict[str, int] = {
    "acr": 20,
    "potassium": 50,
    "haemoglobin": 25,
    "hba1c": 20,
}
BLOOD_PRESSURES_A_YEAR = 25
LOINC_CODES: dict[str, str] = {
    "creatinine": "14682-9",
    "egfr": "62238-1",
    "acr": "9318-7",
    "potassium": "2823-3",
    "haemoglobin": "718-7",
    "hba1c": "59261-8",
}


def _egfr_at(years: float) -> float:
    """A slow decline from 78 to about 30 with a late acceleration: the shape a renal clinic sees."""
    return 78.0 - 1.6 * years - 0.05 * years**2


def _value(analyte: str, years: float, rng: random.Random) -> float:
    egfr = _egfr_at(years)
    if analyte == "egfr":
        return egfr + rng.gauss(0, 2.5)
    if analyte == "creatinine":
        # CKD-EPI 2009 for a man, inverted and without the age term: a creatinine that fits the eGFR.
        return 88.4 * 0.9 * math.pow(egfr / 141.0, -1 / 1.209) * math.exp(rng.gauss(0, 0.04))
    if analyte == "acr":
        return max(0.2, 2.0 * math.exp(years / 5) + rng.gauss(0, 1))
    if analyte == "potassium":
        return 4.3 + years * 0.03 + rng.gauss(0, 0.3)
    if analyte == "haemoglobin":
        return 140.0 - years * 1.2 + rng.gauss(0, 5)
    return 52.0 + rng.gauss(0, 6)


@dataclass(frozen=True, slots=True)
class Synthetic:
    record: ClinicalRecord
    bundle: bytes
    observations: int


def _measurement(analyte: str, index: int, taken_at: datetime, rng: random.Random) -> Measurement:
    unit = CANONICAL_UNITS[analyte]
    provenance = Provenance(
        PRACTICE, "fhir-r4", f"{analyte}-{index}", Coding(LOINC, LOINC_CODES[analyte]), unit
    )
    years = (taken_at - START).days / 365.25
    return Measurement(analyte, taken_at, _value(analyte, years, rng), unit, provenance)


def _schedule(yearly: int) -> list[datetime]:
    count = yearly * YEARS
    step = timedelta(days=YEARS * 365.25 / count)
    return [START + step * index for index in range(count)]


def _measurements(rng: random.Random) -> dict[str, list[Measurement]]:
    renal = _schedule(CREATININE_A_YEAR)
    found = {
        "creatinine": [_measurement("creatinine", i, at, rng) for i, at in enumerate(renal)],
        "egfr": [_measurement("egfr", i, at, rng) for i, at in enumerate(renal) if i % EGFR_EVERY],
    }
    for analyte, yearly in YEARLY.items():
        found[analyte] = [_measurement(analyte, i, at, rng) for i, at in enumerate(_schedule(yearly))]
    return found


def _blood_pressures(rng: random.Random) -> list[BloodPressure]:
    count = BLOOD_PRESSURES_A_YEAR * YEARS
    step = timedelta(days=YEARS * 365.25 / count)
    code = Coding(LOINC, "85354-9")
    return [
        BloodPressure(
            START + step * index,
            138.0 + rng.gauss(0, 10),
            82.0 + rng.gauss(0, 7),
            Provenance(PRACTICE, "fhir-r4", f"bp-{index}", code, "mm[Hg]"),
        )
        for index in range(count)
    ]


def _record(rng: random.Random) -> ClinicalRecord:
    medicine = Provenance(PRACTICE, "fhir-r4", "medication", Coding(SNOMED, "0"), None)
    problem = Provenance(PRACTICE, "fhir-r4", "condition", Coding(SNOMED, "0"), None)
    names = ["Ramipril 10mg capsules", "Amlodipine 10mg tablets", "Indapamide 2.5mg tablets"]
    names += ["Doxazosin 4mg tablets", "Atorvastatin 20mg tablets", "Metformin 500mg tablets"]
    names += ["Dapagliflozin 10mg tablets", "Naproxen 250mg tablets"]
    problems = [("44054006", "Type 2 diabetes mellitus"), ("38341003", "Hypertension")]
    problems += [("197940006", "Microscopic haematuria")]
    return ClinicalRecord(
        patient=Patient("9434765919", "Synthetic Patient", date(1950, 3, 14), Sex.MALE),
        measurements=_measurements(rng),
        blood_pressures=_blood_pressures(rng),
        medications=[Medication(name, (), "active", None, None, medicine) for name in names],
        conditions=[
            Condition((Coding(SNOMED, code, display),), display, "active", date(2015, 1, 1), problem)
            for code, display in problems
        ],
        sources=[SourceStatus(PRACTICE, "fhir-r4", "ok")],
    )


def _observation(resource_id: str, code: str, taken_at: datetime) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"]},
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/9434765919"},
        "effectiveDateTime": taken_at.isoformat(),
    }


def _quantity(value: float, unit: str) -> dict[str, object]:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}


def _bundle(record: ClinicalRecord) -> tuple[bytes, int]:
    """The record's observations as a FHIR R4 searchset Bundle, the shape a GP FHIR server returns."""
    resources = []
    for analyte, series in record.measurements.items():
        for m in series:
            resource = _observation(m.provenance.resource_id, LOINC_CODES[analyte], m.taken_at)
            resource["valueQuantity"] = _quantity(m.value, m.unit)
            resources.append(resource)
    for reading in record.blood_pressures:
        resource = _observation(reading.provenance.resource_id, "85354-9", reading.taken_at)
        resource["component"] = [
            {
                "code": {"coding": [{"system": LOINC, "code": code}]},
                "valueQuantity": _quantity(value, "mm[Hg]"),
            }
            for code, value in (("8480-6", reading.systolic), ("8462-4", reading.diastolic))
        ]
        resources.append(resource)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"https://gp.example.nhs.uk/fhir/Observation/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }
    return orjson.dumps(bundle), len(resources)


def synthetic_patient(seed: int = 20) -> Synthetic:
    record = _record(random.Random(seed))
    bundle, observations = _bundle(record)
    return Synthetic(record, bundle, observations)


def best_of(repeats: int, action: Callable[[], object]) -> float:
    """The fastest of ``repeats`` runs, in milliseconds: the least disturbed measure of the code itself."""
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000.0


def main() -> None:
    synthetic = synthetic_patient()
    generated_at = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)

    def summarise() -> object:
        return build_nephrology_summary(synthetic.record, today=TODAY, generated_at=generated_at)

    summary_ms = best_of(REPEATS, summarise)
    parse_ms = best_of(REPEATS, lambda: orjson.loads(synthetic.bundle))
    rows = [
        ("observations", f"{synthetic.observations:,}"),
        ("FHIR bundle size", f"{len(synthetic.bundle) / 1_000_000:.2f} MB"),
        ("build_nephrology_summary", f"{summary_ms:.2f} ms"),
        ("orjson.loads(bundle)", f"{parse_ms:.2f} ms"),
        ("summary / parse", f"{summary_ms / parse_ms:.2f}x"),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"nephrology summary, {YEARS} years of results, best of {REPEATS}")
    for label, value in rows:
        print(f"  {label:<{width}}  {value:>10}")


if __name__ == "__main__":
    main()
