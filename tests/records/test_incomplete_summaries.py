"""A part of the record that failed or was left out makes the summary incomplete, and is never worded as the
patient having no such results."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from app.specialties.nephrology.plugin import NEPHROLOGY
from app.specialties.service import build_summary_for
from schemas.api.nephrology import NephrologySummary
from tests.adapters.fhir_r4.practice_server import BASE, NHS, observation, patient, searchset
from tests.records.fhir_practice_network import fhir_network
from tests.support.catalogue import DEFAULT_SETTINGS

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


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
        network=fhir_network(http),
        specialty=NEPHROLOGY,
        nhs_number=NHS,
        now=NOW,
        specialty_settings=DEFAULT_SETTINGS,
    )
    assert isinstance(built, NephrologySummary)
    return built


def says_nothing_is_recorded(summary: NephrologySummary) -> bool:
    texts = [*summary.warnings, *(c.evidence for c in summary.referral_criteria)]
    return any("recorded" in text and ("eGFR" in text or "ACR" in text) for text in texts)


async def test_a_failed_observation_search_is_incomplete_and_not_called_no_egfr_recorded(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.routes["Observation"].mock(return_value=httpx.Response(500))

    found = await summary(http)

    assert found.complete is False
    assert found.sources[0].status == "partial"
    assert "no eGFR or creatinine recorded" not in found.warnings
    assert "no eGFR or creatinine found, but the record is incomplete" in found.warnings
    assert any(
        w.startswith("observations:egfr+creatinine") and "not read in full" in w for w in found.warnings
    )
    assert not says_nothing_is_recorded(found)
    egfr = NEPHROLOGY.highlights(found)[0]
    assert (egfr.label, egfr.value) == ("eGFR", None)


async def test_only_another_patients_results_leave_the_summary_incomplete(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    strangers = [{**observation(f"o{n}", 30.0), "subject": {"reference": "Patient/p9"}} for n in range(3)]
    gp.routes["Observation"].mock(return_value=searchset(*strangers))

    found = await summary(http)

    assert found.egfr.series == []
    assert found.complete is False
    assert any("3 Observation resources named a patient not asked for" in w for w in found.warnings)
    assert not says_nothing_is_recorded(found)
