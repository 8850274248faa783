"""How long each specialty's summary takes for a long record, beside parsing the same record's FHIR JSON.

Run: ``python -m bench.specialty_summaries``. For each registered specialty the demo patient with the fullest
record is taken as the demo practice writes it (its codes, units, blood pressure panels, medicines and
conditions) and its results are repeated back in time, every 30 days for 20 years, into one FHIR R4 searchset
Bundle. The bench times what the app does once the practice has answered, the analyte catalogue's
normalisation and the specialty's ``build_summary``, against ``orjson.loads`` of the bundle: best of several
runs each, in the same run, so a summary's cost reads against the floor any request pays to parse its input.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from adapters.demo.generator import DEMO_PRACTICE_ODS, patient_resources
from adapters.demo.practice import ALL_STORIES, demo_patients_of
from adapters.fhir_r4 import parse
from app.records.analytes import AnalyteCatalogue
from app.records.normalise import normalise_record
from app.specialties.base import Specialty, SummaryContext
from app.specialties.registry import SPECIALTIES, analyte_catalogue
from app.specialties.settings import SpecialtySettings, load_specialty_settings
from bench.nephrology_summary import best_of
from schemas.clinical import NHS_NUMBER_SYSTEM, SourceRecord

TODAY = date(2025, 1, 1)
GENERATED_AT = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
YEARS = 20
EVERY_DAYS = 30
REPEATS = 15


@dataclass(frozen=True, slots=True)
class Workload:
    specialty: Specialty
    source: SourceRecord
    bundle: bytes
    observations: int


def _fullest_record(specialty: str) -> list[dict[str, Any]]:
    """The resources of the specialty's demo patient with the most of them."""
    wanted = {patient.nhs_number for patient in demo_patients_of(specialty)}
    records = [resources for nhs, resources in patient_resources(ALL_STORIES, TODAY) if nhs in wanted]
    return max(records, key=len)


def _earlier(observation: dict[str, Any], days: int, copy_number: int) -> dict[str, Any]:
    repeated = copy.deepcopy(observation)
    repeated["id"] = f"{observation['id']}-{copy_number}"
    taken = datetime.fromisoformat(observation["effectiveDateTime"]) - timedelta(days=days)
    repeated["effectiveDateTime"] = taken.isoformat()
    return repeated


def _lengthened(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The record with its results repeated back in time: one of each every 30 days for 20 years."""
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    latest = {r["code"]["coding"][0]["code"]: r for r in observations}
    repeats = YEARS * 365 // EVERY_DAYS
    history = [
        _earlier(observation, EVERY_DAYS * n, n) for observation in latest.values() for n in range(1, repeats)
    ]
    return resources + history


def _searchset(resources: list[dict[str, Any]]) -> bytes:
    entries = [
        {
            "fullUrl": f"https://gp.example.nhs.uk/fhir/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
    return orjson.dumps(bundle)


def workload(specialty: Specialty) -> Workload:
    resources = _lengthened(_fullest_record(specialty.code))
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    source = SourceRecord(
        DEMO_PRACTICE_ODS,
        "fhir-r4",
        parse.patient(patient, NHS_NUMBER_SYSTEM),
        observations=parse.observations(observations).items,
        medications=parse.medications(resources).items,
        conditions=parse.conditions(resources).items,
    )
    return Workload(specialty, source, _searchset(resources), len(observations))


def _summary_ms(work: Workload, catalogue: AnalyteCatalogue, settings: SpecialtySettings) -> float:
    context = SummaryContext(TODAY, GENERATED_AT, settings.of(work.specialty.code))

    def summarise() -> object:
        return work.specialty.build_summary(normalise_record(work.source, catalogue), context)

    return best_of(REPEATS, summarise)


def _parse(bundle: bytes) -> Callable[[], object]:
    return lambda: orjson.loads(bundle)


def main() -> None:
    catalogue = analyte_catalogue()
    settings = load_specialty_settings(SPECIALTIES, environ={}, sections={})
    header = ("specialty", "observations", "bundle", "summary ms", "orjson ms", "summary / parse")
    rows = []
    for code, specialty in sorted(SPECIALTIES.items()):
        work = workload(specialty)
        summary_ms = _summary_ms(work, catalogue, settings)
        parse_ms = best_of(REPEATS, _parse(work.bundle))
        rows.append(
            (
                code,
                f"{work.observations:,}",
                f"{len(work.bundle) / 1_000_000:.2f} MB",
                f"{summary_ms:.2f}",
                f"{parse_ms:.2f}",
                f"{summary_ms / parse_ms:.2f}x",
            )
        )
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    print(f"normalise + build_summary against orjson.loads of the bundle, {YEARS} years, best of {REPEATS}")
    for row in (header, *rows):
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
