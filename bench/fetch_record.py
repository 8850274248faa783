"""How long one record takes to fetch from a slow practice server, against doing its requests one by one.

Run: ``python -m bench.fetch_record``. The mock GP serves the demo practice on 127.0.0.1 with 100 ms added to
every answer. The demo patient with the longest kidney history is fetched through ``FhirR4Source`` with four
searches (observations, MedicationRequest, MedicationStatement, Condition) after the patient lookup; a page
size of 25 makes the observation search page. The table shows the wall time, one measured round trip, the
pages fetched, what fetching them one after another would take, and the wall time in round trips: the lookup
plus the longest chain of pages, when the searches run at once.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

from adapters.demo import DEMO_PATIENTS, DemoSource, write_demo_practice
from adapters.fhir_r4 import FhirR4Source
from adapters.mock_gp import FaultConfig, running_mock_gp
from schemas.clinical import LOINC, SNOMED, Coding, ObservationQuery, RecordQuery

LATENCY_MS = 100
PAGE_SIZE = 25
TODAY = date(2026, 11, 22)
KIDNEY = ObservationQuery(
    "kidney",
    (
        Coding(SNOMED, "1011481000000105"),
        Coding(SNOMED, "1000731000000107"),
        Coding(SNOMED, "1023491000000104"),
        Coding(SNOMED, "72313002"),
        Coding(SNOMED, "1091811000000102"),
        Coding(LOINC, "62238-1"),
        Coding(LOINC, "2160-0"),
        Coding(LOINC, "14959-1"),
        Coding(LOINC, "85354-9"),
    ),
)
QUERY = RecordQuery(observations=(KIDNEY,))
COLUMNS = ("wall ms", "round trip ms", "pages", "sequential ms", "wall / round trip")


def _row(*cells: object) -> str:
    return "".join(f"{cell!s:>19}" for cell in cells)


async def _longest_history() -> str:
    demo = DemoSource(today=TODAY)
    counts = {}
    for patient in DEMO_PATIENTS:
        counts[patient.nhs_number] = len((await demo.fetch_record(patient.nhs_number, QUERY)).observations)
    return max(counts, key=lambda nhs_number: counts[nhs_number])


async def _round_trip(client: httpx.AsyncClient, base_url: str) -> float:
    """The fastest of three requests for the capability statement: one round trip with the added latency."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        (await client.get(f"{base_url}/metadata")).raise_for_status()
        best = min(best, time.perf_counter() - started)
    return best


async def _measure(base_url: str, nhs_number: str) -> tuple[float, float, int, int]:
    pages: list[str] = []

    async def count(request: httpx.Request) -> None:
        pages.append(request.url.path)

    async with httpx.AsyncClient(timeout=30.0) as client:
        round_trip = await _round_trip(client, base_url)
        client.event_hooks["request"] = [count]
        source = FhirR4Source("A12345", base_url, client=client, page_size=PAGE_SIZE)
        started = time.perf_counter()
        record = await source.fetch_record(nhs_number, QUERY)
        wall = time.perf_counter() - started
    if record.failures:
        raise SystemExit(f"the fetch failed: {record.failures}")
    return wall, round_trip, len(pages), len(record.observations)


def main() -> None:
    nhs_number = asyncio.run(_longest_history())
    with tempfile.TemporaryDirectory() as directory:
        write_demo_practice(Path(directory), TODAY)
        with running_mock_gp(Path(directory), FaultConfig(latency_ms=LATENCY_MS)) as base_url:
            wall, round_trip, pages, observations = asyncio.run(_measure(base_url, nhs_number))
    sequential = pages * round_trip
    print(f"mock GP with {LATENCY_MS} ms per answer; {observations} observations at {PAGE_SIZE} a page")
    print(_row(*COLUMNS))
    print(
        _row(
            f"{wall * 1000:.0f}",
            f"{round_trip * 1000:.0f}",
            pages,
            f"{sequential * 1000:.0f}",
            f"{wall / round_trip:.2f}",
        )
    )


if __name__ == "__main__":
    main()
