"""Every fault of the mock GP's $export ends a run `failed` with an error saying why, never a hang: each poll
is bounded by the upstream timeout and the whole run by its ceiling."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.case_finding.case_finding_calls import run_worker, start
from tests.support.identity import IdentityProvider, bearer

FAULTS: list[tuple[dict[str, Any], str]] = [
    ({"export_fails": True}, "ran out of disk"),
    ({"export_expired": True}, "expired"),
    ({"export_truncated": True}, "cut off"),
    ({"export_error_file": True}, "could not export everything"),
    ({"export_busy_count": 100, "retry_after_s": 0}, "busy with another export"),
]


@pytest.mark.parametrize(("faults", "said"), FAULTS, ids=[next(iter(f)) for f, _ in FAULTS])
async def test_an_export_fault_fails_the_run_saying_why(
    cf_app: FastAPI,
    cf_client: httpx.AsyncClient,
    identity: IdentityProvider,
    gp_faults: str,
    faults: dict[str, Any],
    said: str,
) -> None:
    async with httpx.AsyncClient(timeout=5.0) as http:
        assert (await http.post(gp_faults, json=faults)).status_code == 200
    admin = identity.admin()
    run_id = (await start(cf_client, admin)).json()["id"]

    await run_worker(cf_app)

    run = (await cf_client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(admin))).json()
    assert run["status"] == "failed"
    assert run["error"].startswith("the practice's export failed: practice A11111 bulk: ")
    assert said in run["error"]
    assert run["finished_at"] is not None


async def test_an_export_that_never_finishes_fails_at_the_runs_ceiling(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider, gp_faults: str
) -> None:
    async with httpx.AsyncClient(timeout=5.0) as http:
        await http.post(gp_faults, json={"export_polls": 10_000, "retry_after_s": 0})
    admin = identity.admin()
    run_id = (await start(cf_client, admin)).json()["id"]
    ceiling = cf_app.state.settings.model_copy(update={"case_finding_run_ceiling_seconds": 1.5})

    began = time.monotonic()
    await run_worker(cf_app, ceiling)

    assert time.monotonic() - began < 10
    run = (await cf_client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(admin))).json()
    assert run["status"] == "failed"
    assert "1.5 s" in run["error"]


async def test_cancelling_a_running_run_stops_its_worker_and_deletes_the_export_job(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider, gp_faults: str
) -> None:
    async with httpx.AsyncClient(timeout=5.0) as http:
        await http.post(gp_faults, json={"export_polls": 10_000, "retry_after_s": 0})
    consultant = identity.consultant()
    run_id = (await start(cf_client, consultant)).json()["id"]
    url = f"/v1/case-finding/runs/{run_id}"

    working = asyncio.create_task(run_worker(cf_app))
    for _ in range(200):
        if (await cf_client.get(url, headers=bearer(consultant))).json()["status"] == "running":
            break
        await asyncio.sleep(0.05)
    cancelled = await cf_client.post(f"{url}/cancel", headers=bearer(consultant))
    assert cancelled.json()["status"] == "cancelled"
    await asyncio.wait_for(working, timeout=10)

    assert (await cf_client.get(url, headers=bearer(consultant))).json()["status"] == "cancelled"
    async with httpx.AsyncClient(timeout=5.0) as http:
        jobs = (await http.get(gp_faults.replace("/_faults", "/_exports"))).json()["jobs"]
    assert jobs[-1]["deleted"] is True
