"""One deadline for all the upstream work behind a summary: retries and pages share it, and what runs out is
either named in an incomplete summary or, when the patient could not even be found, a 504."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from adapters.errors import UpstreamTimeout
from app.specialties.nephrology.plugin import NEPHROLOGY
from app.specialties.service import build_summary_for
from schemas.api.nephrology import NephrologySummary
from tests.adapters.fhir_r4.practice_server import BASE, NHS, observation, patient, searchset
from tests.records.fhir_practice_network import fhir_network
from tests.support.catalogue import DEFAULT_SETTINGS

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)
DEADLINE = 0.4


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def gp() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get("/Patient", name="patient").mock(return_value=searchset(patient()))
        for resource_type in ("Observation", "MedicationRequest", "MedicationStatement", "Condition"):
            router.get(f"/{resource_type}", name=resource_type).mock(return_value=searchset())
        yield router


async def summary(http: httpx.AsyncClient) -> NephrologySummary:
    built = await build_summary_for(
        network=fhir_network(http, deadline_seconds=DEADLINE, page_cap=100_000),
        specialty=NEPHROLOGY,
        nhs_number=NHS,
        now=NOW,
        specialty_settings=DEFAULT_SETTINGS,
    )
    assert isinstance(built, NephrologySummary)
    return built


async def test_endless_paging_is_cut_off_at_the_deadline_and_the_summary_says_what_is_missing(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    pages = itertools.count()

    async def another_page(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.02)
        return searchset(observation(f"o{next(pages)}"), next_url=f"{BASE}/Observation?page={next(pages)}")

    gp.routes["Observation"].mock(side_effect=another_page)
    started = time.monotonic()

    found = await summary(http)

    assert time.monotonic() - started < DEADLINE + 0.5
    assert found.complete is False
    missing = [w for w in found.warnings if w.startswith("observations:egfr+creatinine")]
    assert len(missing) == 1
    assert "deadline" in missing[0]
    # A part cut off mid-paging contributes nothing: its first pages would show an old result as the latest.
    assert found.egfr.series == []


async def test_a_gp_too_slow_to_find_the_patient_gives_upstream_timeout(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    async def slow_patient(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.3)
        return httpx.Response(503)

    gp.routes["patient"].mock(side_effect=slow_patient)
    started = time.monotonic()

    with pytest.raises(UpstreamTimeout):
        await summary(http)

    assert time.monotonic() - started < DEADLINE + 0.5
