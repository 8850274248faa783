"""How long a record takes from FHIR bytes to a ``ClinicalRecord``, beside ``orjson.loads`` of the same bytes.

Run: ``python -m bench.normalise``. For 500, 5,000 and 50,000 observations it builds FHIR R4 searchset
Bundles of a UK GP record (SNOMED codes, µmol/L and mg/mmol; the results of one visit share its time) in two
shapes: "gp-connect", every result carrying the elements of the GP Connect pathology sample (identifier,
category, subject and performer with display, specimen, reference range) with the UK Core profile and issued
time; and "minimal", only the elements the parser reads. Then it times, best of several runs each:

- orjson: ``orjson.loads`` alone, the floor any reader of the bytes pays;
- parsed: bytes → ``orjson.loads`` → the lean parser (``adapters.fhir_r4.parse``), a ``SourceRecord``;
- ours: the same, then ``normalise_record``, a ``ClinicalRecord``.

The target is ours / orjson ≤ 3 at 5,000 observations. The garbage collector runs as it would in the server.
The richer the payload, the more of the time is orjson's own: "minimal" shows the worst case.
"""

from __future__ import annotations

import gc
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from adapters.fhir_r4 import parse
from schemas.clinical import SNOMED, Sex, SourcePatient, SourceRecord

SIZES = (500, 5_000, 50_000)
SHAPES = {
    "gp-connect": "each result as GP Connect's pathology sample writes one",
    "minimal": "only the elements the parser reads: the worst case for the ratio",
}
TARGET_RATIO = 3.0
UCUM = "http://unitsofmeasure.org"
PATIENT = SourcePatient("p1", "9434765919", "Bench Patient", date(1953, 2, 19), Sex.MALE)

# (code, display, unit shown, UCUM code, typical value, spread): what a GP record holds most of. The reference
# range is typical +/- 2 spreads.
_RESULTS = (
    ("1011481000000105", "eGFR using creatinine (CKD-EPI) per 1.73 square metres", "mL/min/1.73m2",
     "mL/min/{1.73_m2}", 48.0, 8.0),
    ("1000731000000107", "Serum creatinine level", "µmol/L", "umol/L", 130.0, 20.0),
    ("1000651000000109", "Serum potassium level", "mmol/L", "mmol/L", 4.6, 0.4),
    ("1023491000000104", "Urine albumin:creatinine ratio", "mg/mmol", "mg/mmol", 12.0, 6.0),
    ("1022431000000105", "Haemoglobin estimation", "g/L", "g/L", 128.0, 10.0),
    ("999791000000106", "Haemoglobin A1c level (IFCC standardised)", "mmol/mol", "mmol/mol", 56.0, 8.0),
    ("72313002", "Systolic arterial pressure", "mmHg", "mm[Hg]", 142.0, 12.0),
    ("1091811000000102", "Diastolic arterial pressure", "mmHg", "mm[Hg]", 84.0, 8.0),
)  # fmt: skip


def _observation(index: int, rng: random.Random, taken: datetime, shape: str) -> dict[str, Any]:
    code, display, unit, ucum, typical, spread = _RESULTS[index % len(_RESULTS)]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "status": "final",
        "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": taken.isoformat(),
        "valueQuantity": {
            "value": round(max(0.1, rng.gauss(typical, spread)), 1),
            "unit": unit,
            "system": UCUM,
            "code": ucum,
        },
    }
    if shape == "gp-connect":
        resource |= _gp_connect_elements(rng, taken, typical, spread)
    url = f"https://gp.example/fhir/Observation/{resource['id']}"
    return {"fullUrl": url, "resource": resource, "search": {"mode": "match"}}


def _gp_connect_elements(
    rng: random.Random, taken: datetime, typical: float, spread: float
) -> dict[str, Any]:
    """The other elements of the GP Connect pathology sample, with the UK Core profile and issued time."""
    return {
        "identifier": [
            {
                "system": "https://tools.ietf.org/html/rfc4122",
                "value": str(uuid.UUID(int=rng.getrandbits(128))),
            }
        ],
        "meta": {
            "versionId": "1",
            "lastUpdated": taken.isoformat(),
            "profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"],
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                        "display": "Laboratory",
                    }
                ]
            }
        ],
        "subject": {"reference": "Patient/p1", "display": "PATIENT, Bench"},
        "issued": (taken + timedelta(hours=5)).isoformat(timespec="milliseconds"),
        "performer": [{"reference": "Organization/lab-1", "display": "Royal London Pathology"}],
        "specimen": {"reference": f"Specimen/{uuid.UUID(int=rng.getrandbits(128))}"},
        "referenceRange": [
            {
                "low": {"value": round(typical - 2 * spread, 1)},
                "high": {"value": round(typical + 2 * spread, 1)},
            }
        ],
    }


def searchset_bytes(size: int, shape: str) -> bytes:
    """A searchset Bundle of ``size`` observations, the same bytes for the same size and shape every run."""
    rng = random.Random(size)
    start = datetime(2026, 11, 22, 9, tzinfo=UTC) - timedelta(days=size // len(_RESULTS) * 3)
    # One visit every three days, its results sharing the time of the sample as a laboratory reports them.
    visits = [start + timedelta(days=3 * n, minutes=rng.randint(0, 480)) for n in range(size // 8 + 1)]
    entries = [_observation(index, rng, visits[index // len(_RESULTS)], shape) for index in range(size)]
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": size, "entry": entries}
    return orjson.dumps(bundle)


def _parse(payload: bytes) -> SourceRecord:
    page = parse.searchset("bench", orjson.loads(payload))
    return SourceRecord("A12345", "fhir-r4", PATIENT, observations=parse.observations(page.resources).items)


def _our_path() -> tuple[Callable[[bytes], object], str]:
    try:
        from app.records.normalise import normalise_record
        from app.specialties.registry import analyte_catalogue
    except ImportError:
        return _parse, "parse only: app.records.normalise is not importable"

    catalogue = analyte_catalogue()

    def through_normalise(payload: bytes) -> object:
        return normalise_record(_parse(payload), catalogue)

    return through_normalise, "orjson + lean parse + normalise_record"


COLUMNS = ("observations", "MB", "orjson ms", "parsed ms", "ours ms", "parsed ratio", "ratio")


def _row(*cells: object) -> str:
    return "".join(f"{cell!s:>14}" for cell in cells)


def best_of(runs: int, payload: bytes, *work: Callable[[bytes], object]) -> list[float]:
    """Each function's fastest of ``runs`` timings in milliseconds, the functions taking turns.

    The fastest run is the one least disturbed by the rest of the machine; taking turns exposes each function
    to the same disturbances, so their ratio holds on a busy machine.
    """
    best = [float("inf")] * len(work)
    for _ in range(runs):
        for index, function in enumerate(work):
            gc.collect()
            started = time.perf_counter()
            function(payload)
            best[index] = min(best[index], time.perf_counter() - started)
    return [seconds * 1000 for seconds in best]


def main() -> None:
    ours, what = _our_path()
    print(f"ours = {what}")
    for shape, meaning in SHAPES.items():
        print(f"\n{shape}: {meaning}")
        print(_row(*COLUMNS))
        for size in SIZES:
            payload = searchset_bytes(size, shape)
            runs = 3 if size >= 50_000 else 9
            orjson_ms, parsed_ms, ours_ms = best_of(runs, payload, orjson.loads, _parse, ours)
            row = _row(
                f"{size:,}",
                f"{len(payload) / 1e6:.1f}",
                f"{orjson_ms:.1f}",
                f"{parsed_ms:.1f}",
                f"{ours_ms:.1f}",
                f"{parsed_ms / orjson_ms:.2f}",
                f"{ours_ms / orjson_ms:.2f}",
            )
            print(row + (f"  (target <= {TARGET_RATIO:g})" if size == 5_000 else ""))


if __name__ == "__main__":
    main()
