"""FhirR4Source against a third-party FHIR R4 server (sekmet-fhir) holding a Synthea patient.

The server runs on 127.0.0.1 in a subprocess with its store in a temporary directory. If it cannot start, the
tier fails under CI (``CI=true``) and is skipped elsewhere.
"""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapters.errors import PatientNotFound
from adapters.fhir_r4 import FhirR4Source
from schemas.clinical import LOINC, NHS_NUMBER_SYSTEM, SNOMED, Coding, ObservationQuery, RecordQuery, Sex

pytestmark = pytest.mark.integration

SYNTHEA = (
    Path(__file__).parents[1]
    / "fixtures"
    / "synthea-r4"
    / "Isaiah_Schaden_b6b36717-6ad2-433d-bf5c-6c77bc2fcd96.json"
)
NHS = "9434765919"
STARTUP_SECONDS = 60.0
# The simulator would answer each loaded MedicationRequest with dispenses of its own; the traffic log is not
# needed. Inbound validation stays on, so the bundle is checked as any client's would be.
SETTINGS = "simulator:\n  enabled: false\nlog_inbound: false\n"

EGFR = ObservationQuery("egfr", (Coding(SNOMED, "1011481000000105"), Coding(LOINC, "33914-3")))
CREATININE = ObservationQuery("creatinine", (Coding(LOINC, "2160-0"), Coding(LOINC, "38483-4")))
ACR = ObservationQuery("acr", (Coding(LOINC, "14959-1"),))
BLOOD_PRESSURE = ObservationQuery("blood-pressure", (Coding(LOINC, "55284-4"), Coding(LOINC, "85354-9")))
QUERY = RecordQuery(observations=(EGFR, CREATININE, ACR, BLOOD_PRESSURE))


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the sekmet FHIR server is required under CI: {reason}")
    pytest.skip(f"the sekmet FHIR server is not available: {reason}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _unavailable(f"it exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base_url}/metadata", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    _unavailable(f"it did not answer within {STARTUP_SECONDS:g} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server's FHIR base URL, serving an empty store in a temporary directory."""
    executable = Path(sys.executable).with_name("sekmet")
    if not executable.exists():
        _unavailable(f"{executable} is not installed")
    workdir = tmp_path_factory.mktemp("sekmet")
    (workdir / "settings.yaml").write_text(SETTINGS)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/fhir"
    environment = os.environ | {
        "SEKMET_CONFIG": str(workdir / "settings.yaml"),
        "SEKMET_DB": str(workdir / "sekmet.db"),
        "SEKMET_BASE_URL": base_url,
    }
    log = workdir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, base_url, log)
        yield base_url
    finally:
        _stop(process)


def _synthea_bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = orjson.loads(SYNTHEA.read_bytes())
    return bundle


@pytest.fixture(scope="module")
def loaded(sekmet: str) -> dict[str, Any]:
    """The Synthea transaction, given an NHS number as a UK practice would hold it, loaded into the server."""
    bundle = copy.deepcopy(_synthea_bundle())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["identifier"].append({"system": NHS_NUMBER_SYSTEM, "value": NHS})
    response = httpx.post(
        sekmet, content=orjson.dumps(bundle), headers={"Content-Type": "application/fhir+json"}, timeout=120.0
    )
    assert response.status_code == 200, response.text[:2000]
    return bundle


def _count(bundle: dict[str, Any], resource_type: str, codes: tuple[Coding, ...] = ()) -> int:
    wanted = {(c.system, c.code) for c in codes}
    return sum(
        1
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
        and (
            not wanted or any((c["system"], c["code"]) in wanted for c in entry["resource"]["code"]["coding"])
        )
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client


async def test_a_synthea_record_is_fetched_whole_through_the_servers_own_paging(
    sekmet: str, loaded: dict[str, Any], http: httpx.AsyncClient
) -> None:
    pages: list[str] = []

    async def count_page(request: httpx.Request) -> None:
        pages.append(request.url.path)

    http.event_hooks["request"] = [count_page]
    source = FhirR4Source("A12345", sekmet, client=http, page_size=5)

    record = await source.fetch_record(NHS, QUERY)

    assert record.failures == []
    assert record.upstream_warnings == []
    for query in QUERY.observations:
        found = [o for o in record.observations if {(c.system, c.code) for c in o.codings} & _codes(query)]
        assert len(found) == _count(loaded, "Observation", query.codes), query.name
    assert len(record.medications) == _count(loaded, "MedicationRequest")
    assert len(record.conditions) == _count(loaded, "Condition")
    assert pages.count("/fhir/Observation") > len(QUERY.observations)


def _codes(query: ObservationQuery) -> set[tuple[str, str]]:
    return {(c.system, c.code) for c in query.codes}


async def test_the_patient_and_results_read_as_the_source_wrote_them(
    sekmet: str, loaded: dict[str, Any], http: httpx.AsyncClient
) -> None:
    source = FhirR4Source("A12345", sekmet, client=http)

    record = await source.fetch_record(NHS, RecordQuery(observations=(BLOOD_PRESSURE,)))

    assert record.patient.nhs_number == NHS
    assert (record.patient.birth_date, record.patient.sex) == (date(1953, 2, 19), Sex.MALE)
    assert "Schaden" in (record.patient.name or "")
    readings = record.observations
    assert readings
    assert all(len(o.components) == 2 and o.effective and o.effective.tzinfo for o in readings)
    assert {m.name for m in record.medications} >= {"Hydrochlorothiazide 25 MG"}


async def test_the_server_filters_by_date(
    sekmet: str, loaded: dict[str, Any], http: httpx.AsyncClient
) -> None:
    since = date(2018, 1, 1)
    recent = ObservationQuery("egfr", EGFR.codes, since=since)
    source = FhirR4Source("A12345", sekmet, client=http)

    record = await source.fetch_record(NHS, RecordQuery(observations=(recent,), include_medications=False))

    assert 0 < len(record.observations) < _count(loaded, "Observation", EGFR.codes)
    assert all(o.effective and o.effective.date() >= since for o in record.observations)


async def test_an_nhs_number_the_server_does_not_hold_is_not_found(
    sekmet: str, loaded: dict[str, Any], http: httpx.AsyncClient
) -> None:
    with pytest.raises(PatientNotFound):
        await FhirR4Source("A12345", sekmet, client=http).find_patient("9000000009")
