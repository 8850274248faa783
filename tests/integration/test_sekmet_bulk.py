"""The Bulk Data client against a third-party server's $export (sekmet-fhir), loaded with the tests' patients.

sekmet reads repeated ``_typeFilter`` values by splitting them at commas and ANDing the filters, so a spec-
conforming request with two codes for one type silently loses resources there; the client's export rounds
(``adapters/bulk/filters.py``) must return every resource with ``_typeFilter`` on as with it off.

The server runs on 127.0.0.1 in a subprocess with its store in a temporary directory. If it cannot start, the
tier fails under CI (``CI=true``) and is skipped elsewhere.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import httpx
import orjson
import pytest

from adapters.bulk import BulkDataClient, BulkTiming
from adapters.bulk.filters import type_filter
from schemas.bulk import BulkCodeFilter, BulkExportProgress, BulkExportRequest
from schemas.clinical import LOINC, SNOMED
from tests.support.sekmet import demo_resources, load, running_sekmet, transaction

pytestmark = pytest.mark.integration

SYNTHEA = (
    Path(__file__).parents[1]
    / "fixtures"
    / "synthea-r4"
    / "Isaiah_Schaden_b6b36717-6ad2-433d-bf5c-6c77bc2fcd96.json"
)
SETTINGS = "simulator:\n  enabled: false\n  delay_seconds: 0.1\nlog_inbound: false\n"
TYPES = ("Patient", "Observation", "Condition", "MedicationRequest")
CODES = (
    BulkCodeFilter("Observation", LOINC, "33914-3"),
    BulkCodeFilter("Observation", SNOMED, "1011481000000105"),
    BulkCodeFilter("Observation", LOINC, "14959-1"),
    BulkCodeFilter("Observation", LOINC, "2160-0"),
    BulkCodeFilter("Observation", LOINC, "38483-4"),
)
DEMO_DAY = date(2026, 11, 22)
TIMING = BulkTiming(request_seconds=30.0, ceiling_seconds=120.0, first_poll_delay=0.1, max_poll_delay=0.5)


@pytest.fixture(scope="module")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's FHIR base URL, serving an empty store in a temporary directory."""
    with running_sekmet(tmp_path_factory.mktemp("sekmet-bulk"), SETTINGS) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def loaded(sekmet: str) -> Counter[tuple[str, str]]:
    """The Synthea record and the demo practice's patients, loaded; what the server then holds, by type."""
    load(sekmet, orjson.loads(SYNTHEA.read_bytes()))
    load(sekmet, transaction(demo_resources(DEMO_DAY, TYPES)))
    held: Counter[tuple[str, str]] = Counter()
    for resource_type in TYPES:
        url: str | None = f"{sekmet}/{resource_type}?_count=500"
        while url is not None:
            bundle = httpx.get(url, timeout=60.0).json()
            held.update((resource_type, e["resource"]["id"]) for e in bundle.get("entry", ()))
            url = next((link["url"] for link in bundle.get("link", ()) if link["relation"] == "next"), None)
    return held


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client


async def exported(client: BulkDataClient, request: BulkExportRequest) -> Counter[tuple[str, str]]:
    async with client.export(request, BulkExportProgress()) as resources:
        return Counter([(r["resourceType"], r["id"]) async for r in resources])


async def test_every_resource_of_every_patient_arrives_once(
    sekmet: str, loaded: Counter[tuple[str, str]], http: httpx.AsyncClient
) -> None:
    client = BulkDataClient("sekmet bulk", sekmet, http, timing=TIMING)

    assert await exported(client, BulkExportRequest(TYPES)) == loaded
    assert sum(1 for resource_type, _ in loaded if resource_type == "Patient") > 1


@pytest.mark.parametrize("use_type_filter", [False, True])
async def test_coded_results_arrive_whole_with_type_filter_on_or_off(
    sekmet: str, loaded: Counter[tuple[str, str]], http: httpx.AsyncClient, use_type_filter: bool
) -> None:
    everything = BulkDataClient("sekmet bulk", sekmet, http, timing=TIMING)
    unfiltered = await exported(everything, BulkExportRequest(TYPES))
    coded = await _coded_ids(sekmet, http)
    client = BulkDataClient("sekmet bulk", sekmet, http, timing=TIMING, use_type_filter=use_type_filter)

    found = await exported(client, BulkExportRequest(TYPES, codes=CODES))

    others = Counter({key: n for key, n in unfiltered.items() if key[0] != "Observation"})
    observations = Counter(
        {key: n for key, n in unfiltered.items() if key[0] == "Observation" and key[1] in coded}
    )
    assert found == others + observations
    assert len(set().union(*coded.values())) >= 3


async def test_the_server_ands_repeated_type_filters_which_is_why_the_client_sends_one_per_round(
    sekmet: str, loaded: Counter[tuple[str, str]], http: httpx.AsyncClient
) -> None:
    held = set().union(*(await _coded_ids(sekmet, http)).values())
    assert {"33914-3", "2160-0"} <= held
    headers = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
    params = [("_type", "Observation")] + [("_typeFilter", type_filter(code)) for code in CODES[::2]]
    kick_off = await http.get(f"{sekmet}/Patient/$export", params=params, headers=headers)
    status_url = kick_off.headers["content-location"]
    for _ in range(200):
        status = await http.get(status_url)
        if status.status_code == 200:
            break
        await asyncio.sleep(0.1)
    manifest = status.json()
    await http.delete(status_url)

    assert manifest["output"] == []


async def _coded_ids(base_url: str, http: httpx.AsyncClient) -> dict[str, set[str]]:
    """Each Observation id with one of ``CODES``, and its codes, as the server's own search finds them."""
    found: dict[str, set[str]] = {}
    for code in CODES:
        url: str | None = f"{base_url}/Observation?code={code.system}|{code.code}&_count=500"
        while url is not None:
            bundle = (await http.get(url)).json()
            for entry in bundle.get("entry", ()):
                found.setdefault(entry["resource"]["id"], set()).add(code.code)
            url = next((link["url"] for link in bundle.get("link", ()) if link["relation"] == "next"), None)
    return found


async def test_a_group_export_yields_only_its_members_records(
    sekmet: str, loaded: Counter[tuple[str, str]], http: httpx.AsyncClient
) -> None:
    demo = Counter((r["resourceType"], r["id"]) for r in demo_resources(DEMO_DAY, TYPES))
    members = [resource_id for resource_type, resource_id in demo if resource_type == "Patient"]
    group = {
        "resourceType": "Group",
        "id": "registered",
        "type": "person",
        "actual": True,
        "member": [{"entity": {"reference": f"Patient/{pid}"}} for pid in members],
    }
    headers = {"Content-Type": "application/fhir+json"}
    put = await http.put(f"{sekmet}/Group/registered", content=orjson.dumps(group), headers=headers)
    assert put.status_code in (200, 201), put.text[:2000]
    client = BulkDataClient("sekmet bulk", sekmet, http, timing=TIMING, group_id="registered")

    found = await exported(client, BulkExportRequest(TYPES))

    assert found == demo
    assert found != loaded
