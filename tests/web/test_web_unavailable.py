"""A practice that does not answer marks only its own patients' rows, and the worklist says which practice."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.core.deps import SESSION_COOKIE
from tests.support.identity import IdentityProvider, bearer
from tests.support.live_server import free_port
from tests.support.practices import practices_file

PATIENT = "9434765919"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    silent = f"http://127.0.0.1:{free_port()}/fhir"
    path = practices_file(
        tmp_path / "practices", base_url=silent, patients={PATIENT: "A11111"}, timeout_seconds=2
    )
    return settings.model_copy(update={"practices_file": path})


async def test_the_worklist_names_the_practice_that_failed(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    token = identity.consultant()
    clinic = {
        "specialty": "nephrology",
        "date": "2031-01-06",
        "consultant": {"sub": "dr-lee", "name": "Dr Lee"},
    }
    clinic_id = (await client.post("/v1/clinics", json=clinic, headers=bearer(token))).json()["id"]
    entry = {"nhs_number": PATIENT, "reason": "eGFR falling on the practice search"}
    added = await client.post(f"/v1/clinics/{clinic_id}/entries", json=entry, headers=bearer(token))
    assert added.status_code == 201, added.text
    client.cookies.set(SESSION_COOKIE, token)
    page = await client.get(f"/clinics/{clinic_id}")
    assert page.status_code == 200
    assert "Summary unavailable" in page.text
    assert "from practice A11111" in page.text
