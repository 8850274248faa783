"""`make run`: the demo practice answers a Bulk Data export from memory and has agreed to case-finding,
and the web process in dev mode runs a run started from the page with no worker process of its own."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS, DEMO_PRACTICE_ODS
from app.core.config import Settings
from app.main import create_app
from tests.case_finding.case_finding_calls import every_finding
from tests.support.identity import IdentityProvider, bearer


async def test_a_run_on_the_demo_practice_completes_in_the_web_process_in_dev_mode(
    settings: Settings, identity: IdentityProvider
) -> None:
    dev = settings.model_copy(update={"dev_mode": True, "case_finding_poll_seconds": 0.05})
    application: FastAPI = create_app(dev)
    consultant = identity.consultant()
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            body = {"practice_ods": DEMO_PRACTICE_ODS, "specialty": "nephrology"}
            started = await client.post("/v1/case-finding/runs", json=body, headers=bearer(consultant))
            assert started.status_code == 202, started.text
            run_id = started.json()["id"]
            run: dict[str, object] = {}
            for _ in range(400):
                run = (await client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(consultant))).json()
                if run["status"] not in ("queued", "running"):
                    break
                await asyncio.sleep(0.05)
            assert run["status"] == "done", run
            assert run["patients_scanned"] == len(DEMO_PATIENTS)
            found = await every_finding(client, consultant, run_id)
    # The demo's case-finding stories are there to be found.
    assert found
    assert {f["nhs_number"] for f in found} <= {p.nhs_number for p in DEMO_PATIENTS}


async def test_without_dev_mode_the_web_process_leaves_runs_to_the_worker(
    settings: Settings, identity: IdentityProvider
) -> None:
    application: FastAPI = create_app(settings.model_copy(update={"case_finding_poll_seconds": 0.05}))
    consultant = identity.consultant()
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            body = {"practice_ods": DEMO_PRACTICE_ODS, "specialty": "nephrology"}
            started = await client.post("/v1/case-finding/runs", json=body, headers=bearer(consultant))
            assert started.status_code == 202, started.text
            await asyncio.sleep(0.3)
            run = await client.get(
                f"/v1/case-finding/runs/{started.json()['id']}", headers=bearer(consultant)
            )
    assert run.json()["status"] == "queued"
