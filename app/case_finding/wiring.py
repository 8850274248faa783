"""Builds case-finding's export from the practices file (the Bulk Data client per practice) and its worker."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.bulk import BulkDataClient, BulkTiming
from adapters.demo.bulk import demo_export_batches
from adapters.fhir_r4 import parse
from adapters.fhir_r4.elements import MalformedResourceError
from app.audit.service import AuditLog, AuditNote
from app.auth.principal import Principal, Role
from app.case_finding.examine import pool_processes
from app.case_finding.increments import IncrementPolicy
from app.case_finding.models import CaseFindingRecord, CaseFindingRun
from app.case_finding.pipeline import CaseFindingRunner, RunLimits, RunProgress
from app.case_finding.service import every_finding, start_run
from app.case_finding.worker import CaseFindingWorker
from app.core.background import running_alongside
from app.core.config import Settings
from app.core.db import create_engine, session_factory
from app.records.analytes import AnalyteCatalogue
from app.records.practices import PracticeConfig, PracticesFile
from app.records.wiring import check_practices_file
from app.specialties.registry import SPECIALTIES, analyte_catalogue
from app.specialties.settings import SpecialtySettings, load_specialty_settings
from schemas.api.case_finding import RunCreate
from schemas.bulk import BulkExportProgress, BulkExportRequest, BulkLines
from schemas.clinical import SourceFailure, SourceRecord

ADAPTER = "fhir-bulk"
COMMAND_LINE = Principal(sub="vclinic-case-find", role=Role.ADMIN, name="vclinic case-find")


class BulkPopulationExport:
    """Each practice's population through its FHIR Bulk Data endpoint, read with the FHIR R4 parser."""

    def __init__(self, practices: Mapping[str, PracticeConfig], *, settings: Settings) -> None:
        self._practices = practices
        self._settings = settings

    def _practice(self, practice_ods: str) -> PracticeConfig:
        practice = self._practices.get(practice_ods)
        if practice is None:
            raise ValueError(f"practice {practice_ods} is not in the practices file")
        return practice

    def export(
        self,
        practice_ods: str,
        resource_types: tuple[str, ...],
        *,
        since: datetime | None = None,
        progress: BulkExportProgress | None = None,
    ) -> AbstractAsyncContextManager[AsyncIterator[BulkLines]]:
        return self._export(practice_ods, resource_types, since, progress or BulkExportProgress())

    @asynccontextmanager
    async def _export(
        self,
        practice_ods: str,
        resource_types: tuple[str, ...],
        since: datetime | None,
        progress: BulkExportProgress,
    ) -> AsyncIterator[AsyncIterator[BulkLines]]:
        practice = self._practice(practice_ods)
        base_url = practice.bulk_url
        if practice.case_finding and practice.adapter == "demo":
            yield demo_export_batches(resource_types, progress)
            return
        if not practice.case_finding or base_url is None:
            raise ValueError(f"practice {practice_ods} has not agreed to population searches (case_finding)")
        timeout = min(practice.timeout_seconds, self._settings.upstream_timeout_seconds)
        timing = BulkTiming(
            request_seconds=timeout, ceiling_seconds=self._settings.case_finding_run_ceiling_seconds
        )
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0))) as http:
            client = BulkDataClient(
                f"practice {practice_ods} bulk",
                base_url,
                http,
                group_id=practice.group_id,
                use_type_filter=practice.bulk_type_filter,
                timing=timing,
            )
            request = BulkExportRequest(resource_types, since)
            async with client.export_batches(request, progress) as batches:
                yield batches

    def read_patient(
        self, practice_ods: str, patient: dict[str, Any], resources: list[dict[str, Any]]
    ) -> SourceRecord:
        practice = self._practice(practice_ods)
        try:
            who = parse.patient(patient, practice.nhs_number_system)
        except MalformedResourceError as exc:
            raise ValueError(str(exc)) from None
        record = SourceRecord(practice_ods, ADAPTER, who)
        observations = parse.observations(resources)
        medications = parse.medications(resources)
        conditions = parse.conditions(resources)
        record.observations.extend(observations.items)
        record.medications.extend(medications.items)
        record.conditions.extend(conditions.items)
        skipped = observations.skipped + medications.skipped + conditions.skipped
        if skipped:
            record.failures.append(
                SourceFailure("export", f"{skipped} resources could not be read; left out")
            )
        return record


def build_case_finding_runner(
    settings: Settings,
    audit_log: AuditLog,
    practices: Mapping[str, PracticeConfig],
    *,
    catalogue: AnalyteCatalogue,
    specialty_settings: SpecialtySettings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CaseFindingRunner:
    limits = RunLimits(
        lease=timedelta(seconds=settings.case_finding_lease_seconds),
        max_attempts=settings.case_finding_max_leases,
        ceiling_seconds=settings.case_finding_run_ceiling_seconds,
        progress_every=settings.case_finding_progress_every,
        processes=pool_processes(settings.case_finding_processes),
        pool_from=settings.case_finding_pool_from,
    )
    return CaseFindingRunner(
        audit_log,
        BulkPopulationExport(practices, settings=settings),
        catalogue=catalogue,
        specialty_settings=specialty_settings,
        limits=limits,
        clock=clock,
        increments=IncrementPolicy(
            # Every run full: no population is kept on disk between runs.
            settings.var_dir / "case-finding" if settings.case_finding_full_every > 1 else None,
            full_every=settings.case_finding_full_every,
            full_after=timedelta(days=settings.case_finding_full_after_days),
        ),
    )


def build_case_finding_worker(
    settings: Settings,
    audit_log: AuditLog,
    practices: Mapping[str, PracticeConfig],
    *,
    catalogue: AnalyteCatalogue,
    specialty_settings: SpecialtySettings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CaseFindingWorker:
    runner = build_case_finding_runner(
        settings,
        audit_log,
        practices,
        catalogue=catalogue,
        specialty_settings=specialty_settings,
        clock=clock,
    )
    return CaseFindingWorker(
        runner,
        audit_log,
        practices=practices,
        specialties=SPECIALTIES,
        poll_seconds=settings.case_finding_poll_seconds,
        schedule_day=settings.case_finding_schedule_day,
        clock=clock,
    )


def specialty_settings_for(config: PracticesFile) -> SpecialtySettings:
    return load_specialty_settings(SPECIALTIES, environ=os.environ, sections=config.specialties)


def case_finding_in_process(
    settings: Settings,
    audit_log: AuditLog,
    practices: Mapping[str, PracticeConfig],
    *,
    specialty_settings: SpecialtySettings,
) -> AbstractAsyncContextManager[None]:
    """The web process's own case-finding worker, while the block runs: ``make run`` (dev mode serving the
    demo practice) runs a run started from the page with no second process. On leaving, a run under way is
    stopped; its lease runs out and the next worker resumes it."""
    worker = build_case_finding_worker(
        settings, audit_log, practices, catalogue=analyte_catalogue(), specialty_settings=specialty_settings
    )
    return running_alongside("case-finding worker", worker.run)


@asynccontextmanager
async def _outside_the_app(
    settings: Settings,
) -> AsyncIterator[tuple[PracticesFile, AuditLog, async_sessionmaker[AsyncSession]]]:
    """What a command outside the web process needs: the practices, an audit log and sessions on an engine
    of its own, disposed of when the block ends."""
    config = check_practices_file(settings)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        yield config, AuditLog.from_settings(settings, sessions), sessions
    finally:
        await engine.dispose()


async def run_case_finding_worker(
    settings: Settings, *, once: bool, stop: asyncio.Event | None = None
) -> int:
    """The case-finding half of ``vclinic worker``: claims runs until ``stop``; with ``once``, queues what
    the schedule makes due, runs every queued run and returns how many it ran."""
    async with _outside_the_app(settings) as (config, audit_log, _sessions):
        worker = build_case_finding_worker(
            settings,
            audit_log,
            config.practices,
            catalogue=analyte_catalogue(),
            specialty_settings=specialty_settings_for(config),
        )
        if once or stop is None:
            return await worker.run_until_idle()
        await worker.run(stop)
        return 0


async def case_find_in_foreground(
    settings: Settings,
    *,
    practice_ods: str,
    specialty: str,
    show: Callable[[RunProgress], None],
    every_seconds: float = 0.5,
    full: bool = False,
) -> tuple[CaseFindingRun, list[CaseFindingRecord]]:
    """``vclinic case-find``: one run, queued and run here, with ``show`` called as it goes; the ended run
    and what it found. Raises a ``ProblemError`` when the run cannot be started."""
    async with _outside_the_app(settings) as (config, audit_log, sessions):
        runner = build_case_finding_runner(
            settings,
            audit_log,
            config.practices,
            catalogue=analyte_catalogue(),
            specialty_settings=specialty_settings_for(config),
        )
        async with audit_log.unit_of_work() as session:
            run = await start_run(
                session,
                author=COMMAND_LINE,
                submission=RunCreate(practice_ods=practice_ods, specialty=specialty, full=full),
                practices=config.practices,
                now=datetime.now(UTC),
            )
            note = AuditNote(
                purpose="start a case-finding run",
                action=f"vclinic case-find run {run.id} of practice {practice_ods}",
                specialty=specialty,
            )
            await audit_log.append(
                session, principal=COMMAND_LINE, note=note, outcome="success", status=202, request_id=run.id
            )
        progress = RunProgress()
        running = asyncio.create_task(runner.run_next(run_id=run.id, progress=progress))
        while not running.done():
            show(progress)
            await asyncio.wait({running}, timeout=every_seconds)
        await running
        show(progress)
        async with sessions() as session:
            ended = await session.get(CaseFindingRun, run.id)
            assert ended is not None
            found = await every_finding(session, ended)
        return ended, found
