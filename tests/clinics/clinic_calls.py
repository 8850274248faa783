"""The clinic API as a consultant's page calls it: one function per route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from app.core.config import Settings
from tests.support.identity import bearer
from tests.support.practices import practices_file

CLINIC_DAY = "2026-11-24"


def with_unreachable_practice(settings: Settings, directory: Path, patients: dict[str, str]) -> Settings:
    """The settings with one practice whose server is nowhere, for tests that never read a record."""
    ods = next(iter(patients.values()))
    nowhere = "http://127.0.0.1:9/fhir"
    # Nothing listens there: one try, so a read that is attempted fails at once.
    path = practices_file(directory / "practices", base_url=nowhere, patients=patients, ods=ods, attempts=1)
    return settings.model_copy(update={"practices_file": path})


async def open_clinic(
    client: httpx.AsyncClient,
    token: str,
    *,
    specialty: str = "nephrology",
    day: str = CLINIC_DAY,
    consultant: dict[str, str] | None = None,
) -> httpx.Response:
    body = {
        "specialty": specialty,
        "date": day,
        "consultant": consultant or {"sub": "dr-lee", "name": "Dr Lee"},
    }
    return await client.post("/v1/clinics", json=body, headers=bearer(token))


async def opened(client: httpx.AsyncClient, token: str, **fields: Any) -> str:
    """The id of a newly opened clinic."""
    response = await open_clinic(client, token, **fields)
    assert response.status_code == 201, response.text
    clinic_id: str = response.json()["id"]
    return clinic_id


async def add_entry(
    client: httpx.AsyncClient, token: str, clinic_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"/v1/clinics/{clinic_id}/entries", json=body, headers=bearer(token))


async def add_patients(client: httpx.AsyncClient, token: str, clinic_id: str, nhs_numbers: list[str]) -> None:
    for nhs_number in nhs_numbers:
        body = {"nhs_number": nhs_number, "reason": "eGFR falling on the practice's monthly search"}
        response = await add_entry(client, token, clinic_id, body)
        assert response.status_code == 201, response.text


async def worklist(client: httpx.AsyncClient, token: str, clinic_id: str) -> httpx.Response:
    return await client.get(f"/v1/clinics/{clinic_id}/worklist", headers=bearer(token))


async def worklist_rows(client: httpx.AsyncClient, token: str, clinic_id: str) -> list[dict[str, Any]]:
    response = await worklist(client, token, clinic_id)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["entries"]
    return rows
