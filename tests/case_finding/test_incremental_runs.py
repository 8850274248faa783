"""Incremental runs: the next run asks only for what changed since the last one (``_since``), applies it to
the population the last run kept, re-reads only the patients it touched, keeps the others' findings, and
resolves the findings of patients who are found no longer or were deleted upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select

from app.case_finding.increments import IncrementPolicy
from app.case_finding.models import CaseFindingRecord
from app.case_finding.pipeline import CaseFindingRunner, RunLimits
from app.case_finding.wiring import BulkPopulationExport
from app.core.config import Settings
from app.specialties.registry import analyte_catalogue
from schemas.bulk import BulkExportProgress, BulkLine, BulkLines
from tests.case_finding.case_finding_calls import PRACTICE, every_finding, run_worker, start
from tests.support.fhir_factory import UK, patient, result
from tests.support.identity import IdentityProvider, bearer

STAYS = "9434765919"
RECOVERS = "9434765870"
ARRIVES = "9434765862"
FIRST_EXPORT = datetime(2026, 11, 1, 9, tzinfo=UTC)


class ChangingPractice(BulkPopulationExport):
    """Answers each export with what the test queued for it, and remembers the ``_since`` it was asked."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(app.state.practices.practices, settings=app.state.settings)
        self.answers: list[tuple[list[dict[str, Any]], list[str]]] = []
        self.asked: list[datetime | None] = []

    def export(self, practice_ods: str, resource_types: tuple[str, ...], **options: Any) -> Any:
        self.asked.append(options.get("since"))
        resources, deleted = self.answers.pop(0)
        progress: BulkExportProgress = options["progress"]
        progress.transaction_time = FIRST_EXPORT + timedelta(days=len(self.asked))
        return self._listed(resources, deleted)

    @asynccontextmanager
    async def _listed(
        self, resources: list[dict[str, Any]], deleted: list[str]
    ) -> AsyncIterator[AsyncIterator[BulkLines]]:
        async def batches() -> AsyncIterator[BulkLines]:
            yield [
                BulkLine(resource["resourceType"], orjson.dumps(resource), "export.ndjson", number)
                for number, resource in enumerate(resources, 1)
            ]
            gone = [
                {"resourceType": "Bundle", "entry": [{"request": {"method": "DELETE", "url": reference}}]}
                for reference in deleted
            ]
            yield [
                BulkLine("Bundle", orjson.dumps(bundle), "deleted.ndjson", number, deleted=True)
                for number, bundle in enumerate(gone, 1)
            ]

        yield batches()


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


def _with_acr(nhs_number: str, acr: float) -> list[dict[str, Any]]:
    """A patient and one ACR, its id the patient's own, so a later export's ACR replaces it."""
    who = patient(nhs_number, birth_date="1960-01-01", gender="female")
    reading = result(who["id"], 1, UK["acr"], _days_ago(30), acr)
    reading["id"] = f"acr-{nhs_number}"
    return [who, reading]


def _runner(app: FastAPI, export: ChangingPractice, kept: Path, *, full_every: int = 6) -> CaseFindingRunner:
    return CaseFindingRunner(
        app.state.audit_log,
        export,
        catalogue=analyte_catalogue(),
        specialty_settings=app.state.specialty_settings,
        limits=RunLimits(lease=timedelta(seconds=30), max_attempts=3, ceiling_seconds=20, progress_every=1),
        clock=lambda: datetime.now(UTC),
        increments=IncrementPolicy(kept, full_every=full_every),
    )


async def _run(
    client: httpx.AsyncClient, runner: CaseFindingRunner, token: str, *, full: bool = False
) -> dict[str, Any]:
    body = {"practice_ods": PRACTICE, "specialty": "nephrology", "full": full}
    started = await client.post("/v1/case-finding/runs", json=body, headers=bearer(token))
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert await runner.run_next() == run_id
    run = await client.get(f"/v1/case-finding/runs/{run_id}", headers=bearer(token))
    assert run.json()["status"] == "done", run.text
    return dict(run.json())


def _forget(kept: Path) -> None:
    for path in kept.iterdir():
        path.unlink()


async def _open(client: httpx.AsyncClient, token: str, run_id: str) -> dict[str, str]:
    return {f["nhs_number"]: f["status"] for f in await every_finding(client, token, run_id)}


async def test_the_next_run_reads_only_changes_and_keeps_the_unchanged_patients_findings(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider, tmp_path: Path
) -> None:
    consultant = identity.consultant()
    export = ChangingPractice(cf_app)
    runner = _runner(cf_app, export, tmp_path / "kept")
    export.answers = [
        ([*_with_acr(STAYS, 80), *_with_acr(RECOVERS, 80)], []),
        # RECOVERS's ACR is replaced by a normal one; ARRIVES is new; STAYS did not change.
        ([_with_acr(RECOVERS, 1)[1], *_with_acr(ARRIVES, 80)], []),
    ]

    first = await _run(cf_client, runner, consultant)
    assert first["since"] is None
    assert first["transaction_time"] is not None
    assert await _open(cf_client, consultant, first["id"]) == {STAYS: "new", RECOVERS: "new"}

    second = await _run(cf_client, runner, consultant)

    assert export.asked == [None, FIRST_EXPORT + timedelta(days=1)]
    assert second["since"] is not None
    assert datetime.fromisoformat(second["since"]).replace(tzinfo=UTC) == FIRST_EXPORT + timedelta(days=1)
    # Only RECOVERS (changed) and ARRIVES (new) were read again; STAYS's finding stands, now this run's too.
    assert second["patients_scanned"] == 2
    assert await _open(cf_client, consultant, second["id"]) == {STAYS: "new", ARRIVES: "new"}
    assert second["findings_count"] == 2
    register = await cf_client.get(
        f"/v1/practices/{PRACTICE}/case-findings", headers=bearer(identity.practice(PRACTICE))
    )
    [nephrology] = register.json()["specialties"]
    assert {f["nhs_number"] for f in nephrology["findings"]} == {STAYS, ARRIVES}


async def test_a_patient_deleted_upstream_has_their_finding_resolved(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider, tmp_path: Path
) -> None:
    consultant = identity.consultant()
    export = ChangingPractice(cf_app)
    runner = _runner(cf_app, export, tmp_path / "kept")
    export.answers = [
        ([*_with_acr(STAYS, 80), *_with_acr(RECOVERS, 80)], []),
        ([], [f"Patient/pat-{RECOVERS}"]),
    ]
    await _run(cf_client, runner, consultant)

    second = await _run(cf_client, runner, consultant)

    assert second["since"] is not None
    assert await _open(cf_client, consultant, second["id"]) == {STAYS: "new"}
    async with cf_app.state.session_factory() as session:
        rows = {r.nhs_number: r.status for r in (await session.execute(select(CaseFindingRecord))).scalars()}
    assert rows == {STAYS: "new", RECOVERS: "resolved"}


async def test_a_deleted_result_re_reads_its_patient(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider, tmp_path: Path
) -> None:
    consultant = identity.consultant()
    export = ChangingPractice(cf_app)
    runner = _runner(cf_app, export, tmp_path / "kept")
    export.answers = [
        ([*_with_acr(STAYS, 80), *_with_acr(RECOVERS, 80)], []),
        ([], [f"Observation/acr-{RECOVERS}"]),
    ]
    await _run(cf_client, runner, consultant)

    second = await _run(cf_client, runner, consultant)

    assert second["patients_scanned"] == 1
    assert await _open(cf_client, consultant, second["id"]) == {STAYS: "new"}


async def test_a_full_run_is_made_when_asked_every_nth_run_and_without_a_kept_population(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, identity: IdentityProvider, tmp_path: Path
) -> None:
    consultant = identity.consultant()
    export = ChangingPractice(cf_app)
    runner = _runner(cf_app, export, tmp_path / "kept", full_every=3)
    whole = [*_with_acr(STAYS, 80), *_with_acr(RECOVERS, 80)]
    export.answers = [(whole, []), ([], []), ([], []), (whole, []), (whole, [])]

    runs = [await _run(cf_client, runner, consultant) for _ in range(4)]
    runs.append(await _run(cf_client, runner, consultant, full=True))

    assert [run["since"] is None for run in runs] == [True, False, False, True, True]
    assert [run["full"] for run in runs] == [False, False, False, False, True]
    # A finding belongs to the latest run that found it (or carried it forward).
    assert await _open(cf_client, consultant, runs[-1]["id"]) == {STAYS: "new", RECOVERS: "new"}

    # Another worker's disk (no kept population): the next run reads the whole population.
    _forget(tmp_path / "kept")
    export.answers = [(whole, [])]
    assert (await _run(cf_client, runner, consultant))["since"] is None


async def test_with_every_run_full_no_population_is_kept_on_disk(
    cf_app: FastAPI, cf_client: httpx.AsyncClient, cf_settings: Settings, identity: IdentityProvider
) -> None:
    consultant = identity.consultant()
    every_run_full = cf_settings.model_copy(update={"case_finding_full_every": 1})
    for _ in range(2):
        started = await start(cf_client, consultant)
        assert started.status_code == 202, started.text
        assert await run_worker(cf_app, every_run_full) == 1
        run = await cf_client.get(f"/v1/case-finding/runs/{started.json()['id']}", headers=bearer(consultant))
        assert run.json()["status"] == "done"
        assert run.json()["since"] is None

    assert not _kept_files(cf_settings.var_dir / "case-finding")


def _kept_files(directory: Path) -> list[Path]:
    return list(directory.iterdir()) if directory.exists() else []
