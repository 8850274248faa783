"""The worklist against two practices' GP servers on 127.0.0.1: batches of patients searched together, each
practice's bound on batches in flight, the highlights cache, and a practice that fails.

These pin how the service treats its upstreams, not the database, so SQLite is enough here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS, write_demo_practice
from adapters.mock_gp import FaultConfig, running_mock_gp
from app.core.config import Settings
from app.records.service import record_query
from app.specialties.nephrology.plugin import NEPHROLOGY
from tests.clinics.clinic_calls import add_patients, opened, worklist, worklist_rows
from tests.clinics.counting import Tally, count_fetches
from tests.support.catalogue import CATALOGUE
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file_for

MILE_END, BOW = "A11111", "B22222"
REGISTERED = {
    MILE_END: [patient.nhs_number for patient in DEMO_PATIENTS[:3]],
    BOW: [patient.nhs_number for patient in DEMO_PATIENTS[3:6]],
}
EVERYONE = REGISTERED[MILE_END] + REGISTERED[BOW]
PER_SEARCH = 2  # so each practice's three patients make two batches: two and one
BOUND = 1  # fewer than each practice's batches, so the bound is what stops the second from starting


@pytest.fixture
def app_database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture(scope="module")
def demo_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo-practice")
    write_demo_practice(directory, date.today())
    return directory


@pytest.fixture
def gp_servers(demo_records: Path) -> Iterator[dict[str, str]]:
    """Each practice's FHIR base URL. Both serve the demo records; the directory places the patients."""
    with running_mock_gp(demo_records) as mile_end, running_mock_gp(demo_records) as bow:
        yield {MILE_END: mile_end, BOW: bow}


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, gp_servers: dict[str, str]) -> Settings:
    registrations = {nhs: ods for ods, patients in REGISTERED.items() for nhs in patients}
    path = practices_file_for(
        tmp_path / "practices", practices=gp_servers, patients=registrations, patients_per_search=PER_SEARCH
    )
    return settings.model_copy(update={"practices_file": path, "clinic_practice_concurrency": BOUND})


@pytest.fixture
def tally(app: FastAPI) -> Tally:
    return count_fetches(app.state.practices)


async def _set_faults(base_url: str, faults: FaultConfig) -> None:
    async with httpx.AsyncClient() as control:
        response = await control.post(f"{base_url.removesuffix('/fhir')}/_faults", json=faults.as_dict())
        response.raise_for_status()


async def _clinic_of_everyone(client: httpx.AsyncClient, identity: IdentityProvider) -> str:
    clinic_id = await opened(client, identity.consultant())
    await add_patients(client, identity.consultant(), clinic_id, EVERYONE)
    return clinic_id


async def _searches(base_url: str) -> dict[str, int]:
    async with httpx.AsyncClient() as control:
        response = await control.get(f"{base_url.removesuffix('/fhir')}/_received")
    searches: dict[str, int] = response.raise_for_status().json()["searches"]
    return searches


def _by_practice(rows: list[dict[str, Any]], ods: str) -> list[dict[str, Any]]:
    return [row["summary"] for row in rows if row["practice_ods"] == ods]


async def test_patients_are_fetched_in_batches_and_no_practice_has_more_in_flight_than_its_bound(
    client: httpx.AsyncClient, identity: IdentityProvider, gp_servers: dict[str, str], tally: Tally
) -> None:
    for base_url in gp_servers.values():
        await _set_faults(base_url, FaultConfig(latency_ms=50))
    clinic_id = await _clinic_of_everyone(client, identity)

    rows = await worklist_rows(client, identity.consultant(), clinic_id)

    assert [row["nhs_number"] for row in rows] == EVERYONE
    assert {row["summary"]["status"] for row in rows} == {"available"}
    assert tally.fetches == {MILE_END: 2, BOW: 2}
    assert tally.patients == {MILE_END: 3, BOW: 3}
    assert tally.peak == {MILE_END: BOUND, BOW: BOUND}
    # Both practices were asked at once: one practice's bound does not hold up the other's patients.
    assert tally.peak_overall == 2 * BOUND
    # Each batch is one search per part, whatever its size: a patient search, and one per date window.
    windows = len(record_query(NEPHROLOGY.needs, CATALOGUE, date.today(), history_years=20).observations)
    for base_url in gp_servers.values():
        searches = await _searches(base_url)
        assert searches["Patient"] == 2
        assert searches["Observation"] == 2 * windows


async def test_highlights_are_reused_within_their_time_to_live_and_fetched_again_after(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings, tally: Tally
) -> None:
    ttl = timedelta(seconds=settings.clinic_summary_ttl_seconds)
    now = [datetime.now(UTC)]
    app.state.clock = lambda: now[0]
    clinic_id = await _clinic_of_everyone(client, identity)

    first = await worklist_rows(client, identity.consultant(), clinic_id)
    assert tally.patients.total() == len(EVERYONE)

    now[0] += ttl - timedelta(seconds=1)
    again = await worklist_rows(client, identity.consultant(sub="dr-okafor"), clinic_id)
    assert tally.patients.total() == len(EVERYONE)
    assert again == first

    now[0] += timedelta(seconds=2)
    after_expiry = await worklist_rows(client, identity.consultant(), clinic_id)
    assert tally.patients.total() == 2 * len(EVERYONE)
    assert {row["summary"]["generated_at"] for row in after_expiry} != {
        row["summary"]["generated_at"] for row in first
    }


async def test_a_failing_practice_makes_only_its_own_patients_unavailable(
    client: httpx.AsyncClient, identity: IdentityProvider, gp_servers: dict[str, str]
) -> None:
    await _set_faults(gp_servers[BOW], FaultConfig(error_count=1000))
    clinic_id = await _clinic_of_everyone(client, identity)

    response = await worklist(client, identity.consultant(), clinic_id)

    assert response.status_code == 200, response.text
    rows = response.json()["entries"]
    assert all(s["status"] == "available" and s["highlights"] for s in _by_practice(rows, MILE_END))
    failed = _by_practice(rows, BOW)
    assert all(s["status"] == "unavailable" and s["highlights"] is None for s in failed)
    assert all(f"practice {BOW}" in s["problem"] and "503" in s["problem"] for s in failed)
    trail = await client.get(
        "/v1/audit", params={"nhs_number": REGISTERED[BOW][0]}, headers=bearer(identity.admin())
    )
    read = trail.json()["events"][0]
    assert (read["purpose"], read["outcome"], read["status"]) == ("clinic worklist", "failed", 503)

    # A failure is never kept: once the practice answers again, so do its patients' rows.
    await _set_faults(gp_servers[BOW], FaultConfig())
    recovered = await worklist_rows(client, identity.consultant(), clinic_id)
    assert {row["summary"]["status"] for row in recovered} == {"available"}


async def test_a_practice_paging_for_ever_is_cut_off_at_the_worklist_deadline(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, gp_servers: dict[str, str]
) -> None:
    app.state.practices.upstream_deadline_seconds = 0.5
    await _set_faults(gp_servers[BOW], FaultConfig(endless_next=True, latency_ms=20))
    clinic_id = await _clinic_of_everyone(client, identity)
    started = time.monotonic()

    rows = await worklist_rows(client, identity.consultant(), clinic_id)

    assert time.monotonic() - started < 3.0
    whole = _by_practice(rows, MILE_END)
    assert all(s["status"] == "available" and s["complete"] and s["highlights"][0]["value"] for s in whole)
    # A batch cut off mid-search shows what it has, marked incomplete; one still queued names the deadline.
    for row in _by_practice(rows, BOW):
        if row["status"] == "available":
            assert row["complete"] is False
            assert row["highlights"][0] == {
                "label": "eGFR",
                "value": None,
                "unit": "mL/min/1.73m2",
                "flag": None,
            }
        else:
            assert "deadline" in row["problem"]
