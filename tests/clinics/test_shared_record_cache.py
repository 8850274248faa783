"""The record cache the worklist and the summary route share, against a mock GP on 127.0.0.1.

A consultant opening a patient from the worklist is not made to wait for the practice again, yet every read,
cached or not, is still checked for access and audited. These pin what reaches the upstream, so SQLite is
enough here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS, DEMO_PRACTICE_ODS, write_demo_practice
from adapters.mock_gp import FaultConfig, running_mock_gp
from app.core.config import Settings
from app.records.ports import PatientDirectory
from tests.clinics.clinic_calls import add_patients, opened, worklist_rows
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file_for

PATIENTS = [patient.nhs_number for patient in DEMO_PATIENTS[:3]]
OPENED = PATIENTS[0]


@pytest.fixture
def app_database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture(scope="module")
def demo_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo-practice")
    write_demo_practice(directory, date.today())
    return directory


@pytest.fixture
def gp_url(demo_records: Path) -> Iterator[str]:
    with running_mock_gp(demo_records) as base_url:
        yield base_url


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, gp_url: str) -> Settings:
    path = practices_file_for(
        tmp_path / "practices",
        practices={DEMO_PRACTICE_ODS: gp_url},
        patients=dict.fromkeys(PATIENTS, DEMO_PRACTICE_ODS),
    )
    return settings.model_copy(update={"practices_file": path})


@pytest.fixture
def clock(app: FastAPI) -> list[datetime]:
    now = [datetime.now(UTC)]
    app.state.clock = lambda: now[0]
    return now


async def _gp(gp_url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=gp_url.removesuffix("/fhir")) as control:
        return (await control.request(method, path, json=body)).raise_for_status().json()


async def _searches(gp_url: str) -> int:
    searches: dict[str, int] = (await _gp(gp_url, "GET", "/_received"))["searches"]
    return sum(searches.values())


async def _summary(client: httpx.AsyncClient, token: str, nhs_number: str) -> httpx.Response:
    return await client.get(f"/v1/patients/{nhs_number}/summaries/nephrology", headers=bearer(token))


async def _summary_reads(client: httpx.AsyncClient, identity: IdentityProvider) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit", params={"nhs_number": OPENED}, headers=bearer(identity.admin()))
    events: list[dict[str, Any]] = response.raise_for_status().json()["events"]
    return [event for event in events if event["purpose"].startswith("read a specialty summary")]


async def _worklist_read(client: httpx.AsyncClient, identity: IdentityProvider) -> str:
    clinic_id = await opened(client, identity.consultant())
    await add_patients(client, identity.consultant(), clinic_id, PATIENTS)
    rows = await worklist_rows(client, identity.consultant(), clinic_id)
    assert {row["summary"]["status"] for row in rows} == {"available"}
    return clinic_id


async def test_a_patient_opened_from_the_worklist_is_not_fetched_again(
    client: httpx.AsyncClient, identity: IdentityProvider, gp_url: str, clock: list[datetime]
) -> None:
    await _worklist_read(client, identity)
    after_worklist = await _searches(gp_url)

    clock[0] += timedelta(seconds=1)
    response = await _summary(client, identity.consultant(), OPENED)

    assert response.status_code == 200, response.text
    assert response.json()["patient"]["nhs_number"] == OPENED
    assert await _searches(gp_url) == after_worklist


async def test_a_summary_read_first_serves_the_worklist_row_after_it(
    client: httpx.AsyncClient, identity: IdentityProvider, gp_url: str, clock: list[datetime]
) -> None:
    clinic_id = await opened(client, identity.consultant())
    await add_patients(client, identity.consultant(), clinic_id, [OPENED])
    assert (await _summary(client, identity.consultant(), OPENED)).status_code == 200
    after_summary = await _searches(gp_url)

    rows = await worklist_rows(client, identity.consultant(), clinic_id)

    assert [row["summary"]["status"] for row in rows] == ["available"]
    assert await _searches(gp_url) == after_summary


async def test_a_cached_read_is_still_audited_every_time(
    client: httpx.AsyncClient, identity: IdentityProvider, gp_url: str, clock: list[datetime]
) -> None:
    await _worklist_read(client, identity)
    after_worklist = await _searches(gp_url)

    for _ in range(2):
        assert (await _summary(client, identity.consultant(), OPENED)).status_code == 200

    assert await _searches(gp_url) == after_worklist
    reads = await _summary_reads(client, identity)
    assert [(event["actor"], event["outcome"], event["status"]) for event in reads] == [
        ("dr-lee", "success", 200),
        ("dr-lee", "success", 200),
    ]


async def test_a_cached_record_is_refused_once_the_patient_leaves_the_specialtys_care(
    client: httpx.AsyncClient, identity: IdentityProvider, gp_url: str, clock: list[datetime]
) -> None:
    clinic_id = await _worklist_read(client, identity)
    closed = await client.post(f"/v1/clinics/{clinic_id}/close", headers=bearer(identity.consultant()))
    assert closed.status_code == 200, closed.text

    refused = await _summary(client, identity.consultant(), OPENED)
    by_the_practice = await _summary(client, identity.practice(ods=DEMO_PRACTICE_ODS), OPENED)

    assert refused.status_code == 403, refused.text
    assert by_the_practice.status_code == 403, by_the_practice.text
    reads = await _summary_reads(client, identity)
    assert {(event["outcome"], event["status"]) for event in reads} == {("denied", 403)}
    assert len(reads) == 2


async def test_a_record_is_fetched_again_once_its_time_to_live_has_passed(
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    gp_url: str,
    settings: Settings,
    clock: list[datetime],
) -> None:
    ttl = timedelta(seconds=settings.clinic_summary_ttl_seconds)
    await _worklist_read(client, identity)
    after_worklist = await _searches(gp_url)

    clock[0] += ttl - timedelta(seconds=1)
    assert (await _summary(client, identity.consultant(), OPENED)).status_code == 200
    assert await _searches(gp_url) == after_worklist

    clock[0] += timedelta(seconds=2)
    assert (await _summary(client, identity.consultant(), OPENED)).status_code == 200
    assert await _searches(gp_url) > after_worklist


async def test_an_incomplete_record_is_never_kept(
    client: httpx.AsyncClient, identity: IdentityProvider, gp_url: str, clock: list[datetime]
) -> None:
    clinic_id = await opened(client, identity.consultant())
    await add_patients(client, identity.consultant(), clinic_id, [OPENED])
    faults = FaultConfig(error_count=1, error_status=500, resource_types=("Observation",))
    await _gp(gp_url, "POST", "/_faults", faults.as_dict())

    incomplete = await _summary(client, identity.consultant(), OPENED)
    assert incomplete.status_code == 200, incomplete.text
    assert incomplete.json()["complete"] is False
    before = await _searches(gp_url)

    complete = await _summary(client, identity.consultant(), OPENED)

    assert complete.json()["complete"] is True
    assert await _searches(gp_url) > before


class CountedDirectory:
    """The app's directory, counting the patients it is asked about."""

    def __init__(self, inner: PatientDirectory) -> None:
        self.asked: list[str] = []
        self._inner = inner

    async def registered_practice(self, nhs_number: str) -> str | None:
        self.asked.append(nhs_number)
        return await self._inner.registered_practice(nhs_number)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_a_cached_read_asks_the_directory_nothing(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, clock: list[datetime]
) -> None:
    directory = app.state.practices.directory = CountedDirectory(app.state.practices.directory)
    clinic_id = await _worklist_read(client, identity)
    asked_before = len(directory.asked)

    await worklist_rows(client, identity.consultant(), clinic_id)
    assert (await _summary(client, identity.consultant(), OPENED)).status_code == 200

    assert len(directory.asked) == asked_before
