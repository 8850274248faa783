"""A respx-mocked practice FHIR server and the HTTP client that reaches it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from tests.adapters.fhir_r4.practice_server import BASE, patient, searchset


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def gp() -> Iterator[respx.MockRouter]:
    """A practice that knows one patient and has nothing else on record until a test says so."""
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get("/Patient", name="patient").mock(return_value=searchset(patient()))
        for resource_type in ("Observation", "MedicationRequest", "MedicationStatement", "Condition"):
            router.get(f"/{resource_type}", name=resource_type).mock(return_value=searchset())
        yield router
