"""A run whose patients are examined in a pool of processes finds exactly what a run examining them in the
worker's own process finds, and the pool's processes did the examining."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS
from app.case_finding.pipeline import CaseFindingRunner, RunLimits, RunProgress
from app.case_finding.ports import PopulationExport
from app.case_finding.wiring import BulkPopulationExport, build_case_finding_runner
from app.core.config import Settings
from app.specialties.registry import analyte_catalogue
from tests.case_finding.case_finding_calls import every_finding, start
from tests.support.identity import IdentityProvider, bearer


async def _run(
    app: FastAPI, client: httpx.AsyncClient, token: str, settings: Settings
) -> tuple[RunProgress, list[tuple[str, tuple[tuple[str, str], ...]]]]:
    run_id = (await start(client, token)).json()["id"]
    runner = build_case_finding_runner(
        settings,
        app.state.audit_log,
        app.state.practices.practices,
        catalogue=analyte_catalogue(),
        specialty_settings=app.state.specialty_settings,
    )
    progress = RunProgress()
    assert await runner.run_next(run_id=run_id, progress=progress) == run_id
    run: dict[str, Any] = (await client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(token))).json()
    assert run["status"] == "done", run
    assert run["patients_scanned"] == len(DEMO_PATIENTS)
    found = await every_finding(client, token, run_id)
    return progress, sorted(
        (f["nhs_number"], tuple((r["code"], r["evidence"]) for r in f["rules"])) for f in found
    )


async def test_a_pool_of_processes_finds_what_the_workers_own_process_finds(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, cf_settings: Settings, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    pooled = cf_settings.model_copy(update={"case_finding_processes": 2, "case_finding_pool_from": 1})
    alone = cf_settings.model_copy(update={"case_finding_processes": 1, "case_finding_pool_from": 1})

    pool_progress, in_pool = await _run(cf_app, cf_client, consultant, pooled)
    own_progress, in_own_process = await _run(cf_app, cf_client, consultant, alone)

    assert in_pool == in_own_process
    assert len(in_pool) > 10
    assert pool_progress.cpu_seconds_elsewhere > 0
    assert own_progress.cpu_seconds_elsewhere == 0


async def test_a_practice_smaller_than_the_pool_threshold_is_examined_in_the_workers_own_process(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, cf_settings: Settings, identity: IdentityProvider
) -> None:
    small = cf_settings.model_copy(
        update={"case_finding_processes": 2, "case_finding_pool_from": len(DEMO_PATIENTS) + 1}
    )

    progress, found = await _run(cf_app, cf_client, identity.consultant(), small)

    assert found
    assert progress.cpu_seconds_elsewhere == 0


class _ReaderEndsItsProcess:
    """The practice's export, whose patient reader ends the process it runs in, as the system's out-of-memory
    killer would."""

    def __init__(self, export: PopulationExport) -> None:
        self._export = export

    def export(self, practice_ods: str, resource_types: tuple[str, ...], **options: Any) -> Any:
        return self._export.export(practice_ods, resource_types, **options)

    def read_patient(
        self, practice_ods: str, patient: dict[str, Any], resources: list[dict[str, Any]]
    ) -> Any:
        os._exit(3)


async def test_a_pool_process_ending_abruptly_fails_the_run_saying_so(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, cf_settings: Settings, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    run_id = (await start(cf_client, consultant)).json()["id"]
    limits = RunLimits(
        lease=timedelta(seconds=cf_settings.case_finding_lease_seconds),
        max_attempts=1,
        ceiling_seconds=cf_settings.case_finding_run_ceiling_seconds,
        progress_every=cf_settings.case_finding_progress_every,
        processes=2,
        pool_from=1,
    )
    export = BulkPopulationExport(cf_app.state.practices.practices, settings=cf_settings)
    runner = CaseFindingRunner(
        cf_app.state.audit_log,
        _ReaderEndsItsProcess(export),
        catalogue=analyte_catalogue(),
        specialty_settings=cf_app.state.specialty_settings,
        limits=limits,
        clock=lambda: datetime.now(UTC),
    )

    assert await runner.run_next(run_id=run_id) == run_id

    run = (await cf_client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(consultant))).json()
    assert run["status"] == "failed"
    assert "ended abruptly" in run["error"]
