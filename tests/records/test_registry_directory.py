"""The registry directory: registrations admins record in our own database decide where records come from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.support.identity import IdentityProvider, bearer

NHS_NUMBER = "9434765919"


@pytest.fixture
def app_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
async def registry_client(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    practices = tmp_path / "practices.toml"
    practices.write_text(
        '[practices.A12345]\nname = "Demo"\nadapter = "demo"\n\n[directory]\nadapter = "registry"\n'
    )
    app: FastAPI = create_app(settings.model_copy(update={"practices_file": practices}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_an_unregistered_patient_is_unknown(
    registry_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await registry_client.get(f"/v1/registrations/{NHS_NUMBER}", headers=bearer(identity.admin()))
    assert response.status_code == 404
    trail = await registry_client.get(
        f"/v1/audit?nhs_number={NHS_NUMBER}", headers=bearer(identity.practice(ods="A12345"))
    )
    assert trail.status_code == 403


async def test_a_registration_makes_the_practice_the_patients_own(
    registry_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    recorded = await registry_client.put(
        f"/v1/registrations/{NHS_NUMBER}", json={"practice_ods": "A12345"}, headers=bearer(identity.admin())
    )
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["updated_by"] == "admin-1"
    trail = await registry_client.get(
        f"/v1/audit?nhs_number={NHS_NUMBER}", headers=bearer(identity.practice(ods="A12345"))
    )
    assert trail.status_code == 200
    assert [e["purpose"] for e in trail.json()["events"]] == ["record a patient registration"]


async def test_moving_a_registration_moves_access(
    registry_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    for practice in ("A12345", "B67890"):
        await registry_client.put(
            f"/v1/registrations/{NHS_NUMBER}",
            json={"practice_ods": practice},
            headers=bearer(identity.admin()),
        )
    old = await registry_client.get(
        f"/v1/audit?nhs_number={NHS_NUMBER}", headers=bearer(identity.practice(ods="A12345"))
    )
    new = await registry_client.get(
        f"/v1/audit?nhs_number={NHS_NUMBER}", headers=bearer(identity.practice(ods="B67890"))
    )
    assert (old.status_code, new.status_code) == (403, 200)


async def test_only_admins_record_registrations(
    registry_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await registry_client.put(
        f"/v1/registrations/{NHS_NUMBER}",
        json={"practice_ods": "A12345"},
        headers=bearer(identity.practice()),
    )
    assert response.status_code == 403


async def test_an_invalid_ods_code_is_422(
    registry_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await registry_client.put(
        f"/v1/registrations/{NHS_NUMBER}", json={"practice_ods": "not ods"}, headers=bearer(identity.admin())
    )
    assert response.status_code == 422
