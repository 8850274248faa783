"""An incremental run against the mock GP after the practice deleted things: the deleted patient's finding is
resolved, and the patient one of whose resources was deleted is read again, whole, and found no longer.

The module's own mock GP (``demo_gp`` below) serves the demo practice with every resource last changed a day
ago, so an export with ``_since`` holds only what changed after it: here, nothing but the deleted files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from adapters.demo import DEMO_PATIENTS, write_demo_practice
from adapters.mock_gp import running_mock_gp
from app.case_finding.models import CaseFindingRecord
from schemas.clinical import NHS_NUMBER_SYSTEM, SNOMED
from tests.case_finding.case_finding_calls import every_finding, run_worker, start
from tests.support.identity import IdentityProvider, bearer

# Two of the demo's case-finding stories: unrecognised CKD (the patient is deleted from the practice), and
# albuminuria with type 2 diabetes coded and no ACE inhibitor or ARB (the diabetes code is deleted, and an ACR
# of 12 without diabetes is no finding).
DELETED = next(p.nhs_number for p in DEMO_PATIENTS if p.name == "Nadia Rahman")
UNCODED = next(p.nhs_number for p in DEMO_PATIENTS if p.name == "Samuel Osei")
TYPE_2_DIABETES = "44054006"


@pytest.fixture(scope="module")
def demo_gp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo practice, each resource stamped as last changed a day ago, on a mock GP of this module's own:
    what its tests delete no other module sees."""
    directory = tmp_path_factory.mktemp("incremental-gp")
    write_demo_practice(directory, date.today())
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for path in directory.glob("*.json"):
        bundle = orjson.loads(path.read_bytes())
        for entry in bundle["entry"]:
            entry["resource"]["meta"] = entry["resource"].get("meta", {}) | {"lastUpdated": yesterday}
        path.write_bytes(orjson.dumps(bundle))
    with running_mock_gp(directory) as url:
        yield url


async def _run(cf_app: FastAPI, cf_client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    started = await start(cf_client, token)
    assert started.status_code == 202, started.text
    assert await run_worker(cf_app) == 1
    run = await cf_client.get(f"/v1/case-finding/runs/{started.json()['id']}", headers=bearer(token))
    assert run.json()["status"] == "done", run.text
    return dict(run.json())


async def _patient_id(gp: httpx.AsyncClient, demo_gp: str, nhs_number: str) -> str:
    found = await gp.get(f"{demo_gp}/Patient", params={"identifier": f"{NHS_NUMBER_SYSTEM}|{nhs_number}"})
    [entry] = found.json()["entry"]
    patient_id: str = entry["resource"]["id"]
    return patient_id


async def _delete(gp: httpx.AsyncClient, demo_gp: str, reference: str) -> None:
    response = await gp.delete(f"{demo_gp}/{reference}")
    assert response.status_code == 204, response.text


async def test_an_incremental_run_resolves_a_deleted_patient_and_re_reads_one_whose_diabetes_was_deleted(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider, demo_gp: str
) -> None:
    consultant = identity.consultant()
    first = await _run(cf_app, cf_client, consultant)
    found_first = {
        f["nhs_number"]: f["status"] for f in await every_finding(cf_client, consultant, first["id"])
    }
    assert first["since"] is None
    assert found_first[DELETED] == found_first[UNCODED] == "new"

    async with httpx.AsyncClient(timeout=5.0) as gp:
        await _delete(gp, demo_gp, f"Patient/{await _patient_id(gp, demo_gp, DELETED)}")
        uncoded = await _patient_id(gp, demo_gp, UNCODED)
        params = {"patient": uncoded, "code": f"{SNOMED}|{TYPE_2_DIABETES}"}
        [diabetes] = (await gp.get(f"{demo_gp}/Condition", params=params)).json()["entry"]
        await _delete(gp, demo_gp, f"Condition/{diabetes['resource']['id']}")

    second = await _run(cf_app, cf_client, consultant)

    assert second["since"] is not None
    # Only the patient whose record changed was read again; the deleted one was not read at all.
    assert second["patients_scanned"] == 1
    found_second = {
        f["nhs_number"]: f["status"] for f in await every_finding(cf_client, consultant, second["id"])
    }
    assert found_second == {
        nhs: status for nhs, status in found_first.items() if nhs not in (DELETED, UNCODED)
    }
    async with cf_app.state.session_factory() as session:
        records = (await session.execute(select(CaseFindingRecord))).scalars()
        statuses = {r.nhs_number: r.status for r in records if r.nhs_number in (DELETED, UNCODED)}
    assert statuses == {DELETED: "resolved", UNCODED: "resolved"}
