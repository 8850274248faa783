"""Calls and files the case-finding tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from app.case_finding.wiring import build_case_finding_worker
from app.core.config import Settings
from app.specialties.registry import analyte_catalogue
from tests.support.identity import bearer

PRACTICE = "A11111"
WITHOUT_CONSENT = "B22222"


def case_finding_practices(
    directory: Path, *, base_url: str, patients: list[str], timeout_seconds: float = 3.0
) -> Path:
    """Practice A11111 has agreed to population searches; B22222 has not."""
    directory.mkdir(parents=True, exist_ok=True)
    registrations = "\n".join(f'"{nhs}" = "{PRACTICE}"' for nhs in patients)
    path = directory / "practices.toml"
    path.write_text(
        f"""
[practices.{PRACTICE}]
name = "Case-finding practice"
adapter = "fhir-r4"
base_url = "{base_url}"
delivery = "feed"
timeout_seconds = {timeout_seconds}
case_finding = true

[practices.{WITHOUT_CONSENT}]
name = "Practice without consent"
adapter = "fhir-r4"
base_url = "{base_url}"
delivery = "feed"

[directory]
adapter = "static"

[directory.patients]
{registrations}
"""
    )
    return path


async def start(
    client: httpx.AsyncClient, token: str, *, practice: str = PRACTICE, specialty: str = "nephrology"
) -> httpx.Response:
    body = {"practice_ods": practice, "specialty": specialty}
    return await client.post("/v1/case-finding/runs", json=body, headers=bearer(token))


async def run_worker(app: FastAPI, settings: Settings | None = None) -> int:
    """The app's case-finding worker (with ``settings`` when given), run until no run is queued."""
    worker = build_case_finding_worker(
        settings or app.state.settings,
        app.state.audit_log,
        app.state.practices.practices,
        catalogue=analyte_catalogue(),
        specialty_settings=app.state.specialty_settings,
    )
    return await worker.run_until_idle()


async def every_finding(client: httpx.AsyncClient, token: str, run_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(100):
        params = {"limit": "2"} | ({"after": after} if after else {})
        response = await client.get(
            f"/v1/case-finding/runs/{run_id}/findings", params=params, headers=bearer(token)
        )
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["items"]
        after = page["next_cursor"]
        if after is None:
            return found
    raise AssertionError("the findings never ended")
