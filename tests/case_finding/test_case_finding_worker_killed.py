"""Any number of `vclinic worker` processes share runs through PostgreSQL: one killed with SIGKILL mid-run
leaves the run to another, which completes it with no finding duplicated and none audited twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlmodel import col

from adapters.mock_gp import running_mock_gp
from app.audit.models import AuditEvent
from app.case_finding.models import CaseFindingRecord, CaseFindingRun, RunStatus
from app.case_finding.pipeline import FINDING_OPENED_PURPOSE
from schemas.nhs_number import nhs_number_check_digit
from tests.case_finding.case_finding_calls import PRACTICE, case_finding_practices
from tests.support import databases
from tests.support.fhir_factory import UK, patient, result, write_bundle

ROOT = Path(__file__).parents[2]
PATIENTS = 300
LEASE_SECONDS = 1.5


def _nhs_numbers(count: int) -> list[str]:
    found: list[str] = []
    candidate = 940_000_000
    while len(found) < count:
        first_nine = str(candidate)
        digit = nhs_number_check_digit(first_nine)
        if digit is not None:
            found.append(f"{first_nine}{digit}")
        candidate += 1
    return found


def _population(nhs_numbers: list[str]) -> list[dict[str, Any]]:
    """Every patient with an ACR of 80 mg/mmol last month: each one is a finding."""
    when = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    resources: list[dict[str, Any]] = []
    for index, nhs_number in enumerate(nhs_numbers):
        who = patient(nhs_number, birth_date="1958-03-01", gender="male")
        resources += [
            who,
            result(who["id"], index * 2, UK["acr"], when, 80),
            result(who["id"], index * 2 + 1, UK["egfr"], when, 70),
        ]
    return resources


@pytest.fixture
def big_practice_gp(tmp_path: Path) -> Iterator[str]:
    write_bundle(tmp_path / "gp", _population(_nhs_numbers(PATIENTS)))
    with running_mock_gp(tmp_path / "gp") as url:
        yield url


def _worker(database_url: str, practices: Path, var_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VCLINIC_DATABASE_URL": database_url,
        "VCLINIC_PRACTICES_FILE": str(practices),
        "VCLINIC_DEV_MODE": "true",
        "VCLINIC_VAR_DIR": str(var_dir),
        "VCLINIC_LOG_LEVEL": "WARNING",
        "VCLINIC_CASE_FINDING_LEASE_SECONDS": str(LEASE_SECONDS),
        "VCLINIC_CASE_FINDING_PROGRESS_EVERY": "1",
        "VCLINIC_CASE_FINDING_POLL_SECONDS": "0.2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


async def _run(factory: async_sessionmaker[AsyncSession], run_id: str) -> CaseFindingRun:
    async with factory() as session:
        found = await session.get(CaseFindingRun, run_id)
        assert found is not None
        return found


async def _until_run(
    factory: async_sessionmaker[AsyncSession], run_id: str, holds: Any, *, seconds: float = 90.0
) -> CaseFindingRun:
    for _ in range(int(seconds / 0.05)):
        run = await _run(factory, run_id)
        if holds(run):
            return run
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting; the run is {(await _run(factory, run_id)).status}")


@pytest.mark.postgres
@pytest.mark.integration
async def test_a_worker_killed_mid_run_leaves_the_run_to_another_which_duplicates_nothing(
    postgres_url: str, big_practice_gp: str, tmp_path: Path
) -> None:
    databases.reset_postgres(postgres_url)
    practices = case_finding_practices(tmp_path / "practices", base_url=big_practice_gp, patients=[])
    engine = create_async_engine(postgres_url)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with factory() as session, session.begin():
            run = CaseFindingRun(
                practice_ods=PRACTICE,
                specialty="nephrology",
                status=RunStatus.QUEUED.value,
                requested_by="test",
                requested_role="admin",
                created_at=datetime.now(UTC),
            )
            session.add(run)
        doomed = _worker(postgres_url, practices, tmp_path / "var")
        try:
            await _until_run(factory, run.id, lambda r: r.patients_scanned >= 20)
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=10)
        finally:
            _stop(doomed)
        killed = await _run(factory, run.id)
        assert killed.status == RunStatus.RUNNING
        assert killed.patients_scanned < PATIENTS, "killed part-way through"

        successor = _worker(postgres_url, practices, tmp_path / "var")
        try:
            done = await _until_run(factory, run.id, lambda r: r.status != RunStatus.RUNNING)
        finally:
            _stop(successor)

        assert (done.status, done.error) == (RunStatus.DONE, None)
        assert done.attempts == 2
        assert done.patients_scanned == done.findings_count == PATIENTS
        async with factory() as session:
            rows = (await session.execute(select(col(CaseFindingRecord.nhs_number)))).scalars().all()
            opened = (
                await session.execute(
                    select(func.count()).where(col(AuditEvent.purpose) == FINDING_OPENED_PURPOSE)
                )
            ).scalar_one()
        assert len(rows) == len(set(rows)) == PATIENTS
        assert opened == PATIENTS
    finally:
        await engine.dispose()
