"""How long the mock GP takes to answer a search with 19,000+ results loaded: indexed, against a full scan.

Run: ``python -m bench.mock_gp_search``. A practice of 200 patients, each with 100 observations (eGFR,
creatinine and blood pressure, one a month back from a fixed day) and two conditions, is loaded into one
``ResourceStore``. The searches the service makes for a worklist batch are then answered by the indexes
(``search``) and by reading every resource of the type (``scan``, the same store's reference search) in this
same run; each is the median of several runs. The last column is how many times faster the index answers.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

from adapters.mock_gp.store import ResourceStore

PATIENTS = 200
OBSERVATIONS_PER_PATIENT = 100
REPEATS = 5
LAST_DAY = date(2026, 11, 22)
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
EGFR = f"{SNOMED}|1011481000000105,{LOINC}|62238-1"
OBSERVED = ((SNOMED, "1011481000000105"), (LOINC, "2160-0"), (SNOMED, "72313002"))
BATCH = ",".join(f"Patient/patient-{number}" for number in range(10))
SEARCHES: tuple[tuple[str, str, list[tuple[str, str]]], ...] = (
    ("one patient's eGFRs", "Observation", [("patient", "patient-7"), ("code", EGFR)]),
    (
        "eGFRs since 2024, 10 patients",
        "Observation",
        [("patient", BATCH), ("code", EGFR), ("date", "ge2024-01-01")],
    ),
    ("every eGFR in 2025", "Observation", [("code", EGFR), ("date", "2025")]),
    ("conditions, 10 patients", "Condition", [("patient", BATCH)]),
)
COLUMNS = ("search", "results", "scan ms", "indexed ms", "scan/indexed")


def _observation(patient: int, number: int) -> dict[str, Any]:
    system, code = OBSERVED[number % len(OBSERVED)]
    return {
        "resourceType": "Observation",
        "id": f"obs-{patient}-{number}",
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": f"Patient/patient-{patient}"},
        "effectiveDateTime": (LAST_DAY - timedelta(days=30 * number)).isoformat(),
        "valueQuantity": {"value": 60 + number % 20, "unit": "mL/min/1.73m2"},
    }


def _practice() -> ResourceStore:
    store = ResourceStore()
    for patient in range(PATIENTS):
        store.add({"resourceType": "Patient", "id": f"patient-{patient}"})
        for number in range(OBSERVATIONS_PER_PATIENT):
            store.add(_observation(patient, number))
        for condition in ("59621000", "44054006"):
            reference = {"reference": f"Patient/patient-{patient}"}
            coding = {"coding": [{"system": SNOMED, "code": condition}]}
            store.add({"resourceType": "Condition", "subject": reference, "code": coding})
    return store


def _median_ms(answer: Callable[[], list[dict[str, Any]]]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        answer()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _row(*cells: object) -> str:
    return f"{cells[0]!s:<32}" + "".join(f"{cell!s:>14}" for cell in cells[1:])


def main() -> None:
    store = _practice()
    loaded = store.count("Observation")
    print(f"{loaded} observations and {store.count('Condition')} conditions loaded; median of {REPEATS} runs")
    print(_row(*COLUMNS))
    for name, resource_type, params in SEARCHES:
        indexed = store.search(resource_type, params)
        if indexed != store.scan(resource_type, params):
            raise SystemExit(f"{name}: the indexed search and the scan disagree")
        scan_ms = _median_ms(partial(store.scan, resource_type, params))
        indexed_ms = _median_ms(partial(store.search, resource_type, params))
        print(_row(name, len(indexed), f"{scan_ms:.2f}", f"{indexed_ms:.3f}", f"{scan_ms / indexed_ms:.0f}x"))


if __name__ == "__main__":
    main()
