"""One case-finding run: export the practice's population, spill it to disk grouped by patient, and for each
patient build the specialty's summary and ask its case-finding rules, exactly as a consultant's summary would
be built, storing what is found.

The run holds a lease on its row while it works (renewed by a heartbeat, and at each progress commit); a
cancelled run, or one another worker has taken over, loses it and stops at once, abandoning the export. Every
way a run can fail ends it ``failed`` with an error saying why: the export's own errors name the upstream
and what went wrong, and the whole run is bounded by ``VCLINIC_CASE_FINDING_RUN_CEILING_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditLog, AuditNote, Outcome
from app.auth.principal import Principal, Role
from app.case_finding.claims import ClaimedRun, RunCounts, claim_run, renew, settle
from app.case_finding.examine import (
    BATCH_PATIENTS,
    Examiner,
    examined_here,
    examined_in_pool,
    warm_pool,
)
from app.case_finding.findings import (
    PatientFindings,
    carry_forward,
    count_found,
    resolve_patients,
    resolve_unfound,
    store_findings,
)
from app.case_finding.increments import IncrementPolicy, incremental_since
from app.case_finding.models import RunStatus
from app.case_finding.ports import PopulationExport
from app.case_finding.relevance import needs_fingerprint, relevant_lines
from app.case_finding.spill import PatientSpill, open_population
from app.records.analytes import AnalyteCatalogue
from app.records.needs import RecordNeeds
from app.specialties.base import SummaryContext
from app.specialties.registry import SPECIALTIES
from app.specialties.settings import SpecialtySettings
from schemas.bulk import BulkExportError, BulkExportProgress

log = logging.getLogger("vclinic.case_finding")

FINDING_OPENED_PURPOSE = "case finding raised a finding"


def exported_types(needs: RecordNeeds) -> tuple[str, ...]:
    """The resource types a specialty's summary reads: Patient always, so every patient is counted, and with
    the medicines the Medications that name some of them (``adapters.bulk.referenced``)."""
    types = ["Patient"]
    if needs.results:
        types.append("Observation")
    if needs.conditions:
        types.append("Condition")
    if needs.medication_years:
        types += ["MedicationRequest", "MedicationStatement", "Medication"]
    return tuple(types)


@dataclass(slots=True)
class RunProgress:
    """What a run has done, for a caller showing it as it goes."""

    phase: str = "export"
    patients_total: int | None = None
    patients_scanned: int = 0
    findings: int = 0
    # The CPU the pool's processes spent examining patients (``app.case_finding.examine``), and the most
    # memory one of them held: not this process's own.
    cpu_seconds_elsewhere: float = 0.0
    peak_mb_elsewhere: float = 0.0


@dataclass(frozen=True, slots=True)
class RunLimits:
    lease: timedelta
    max_attempts: int
    ceiling_seconds: float
    progress_every: int
    # Examining patients is shared between ``processes`` processes from ``pool_from`` patients a run.
    processes: int = 1
    pool_from: int = 3000


class RunLost(Exception):
    """The run was cancelled, or another worker took it over: this worker must stop without writing."""


class CaseFindingRunner:
    def __init__(
        self,
        audit_log: AuditLog,
        export: PopulationExport,
        *,
        catalogue: AnalyteCatalogue,
        specialty_settings: SpecialtySettings,
        limits: RunLimits,
        clock: Callable[[], datetime],
        increments: IncrementPolicy = IncrementPolicy(None),
    ) -> None:
        self._increments = increments
        self._audit_log = audit_log
        self._export = export
        self._catalogue = catalogue
        self._specialty_settings = specialty_settings
        self._limits = limits
        self._clock = clock

    async def run_next(self, *, run_id: str | None = None, progress: RunProgress | None = None) -> str | None:
        """Claims a due run (``run_id`` when given) and runs it to its end; the run's id, or None if none."""
        async with self._audit_log.unit_of_work() as session:
            claim = await claim_run(
                session,
                now=self._clock(),
                lease=self._limits.lease,
                max_attempts=self._limits.max_attempts,
                run_id=run_id,
            )
        if claim is None:
            return None
        await self.execute(claim, progress or RunProgress())
        return claim.run_id

    async def execute(self, claim: ClaimedRun, progress: RunProgress) -> None:
        lost = asyncio.Event()
        scan = asyncio.create_task(self._bounded_scan(claim, progress))
        heartbeat = asyncio.create_task(self._heartbeat(claim, scan, lost))
        try:
            await scan
        except RunLost:
            log.info("case-finding run %s was cancelled or taken over", claim.run_id)
        except asyncio.CancelledError:
            if not lost.is_set():
                raise
            log.info("case-finding run %s was cancelled or taken over", claim.run_id)
        except TimeoutError:
            ceiling = self._limits.ceiling_seconds
            await self._fail(claim, f"the run took longer than its ceiling of {ceiling:g} s and was stopped")
        except BulkExportError as exc:
            await self._fail(claim, f"the practice's export failed: {exc}")
        except ValueError as exc:
            await self._fail(claim, str(exc))
        except BrokenProcessPool:
            log.error("case-finding run %s: a process examining its patients ended abruptly", claim.run_id)
            await self._fail(
                claim,
                "a process examining the practice's patients ended abruptly (out of memory, or killed); "
                "the run can be started again",
            )
        except Exception as exc:
            log.exception("case-finding run %s failed", claim.run_id)
            await self._fail(
                claim, f"the run failed unexpectedly ({type(exc).__name__}); see the worker's log"
            )
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _heartbeat(self, claim: ClaimedRun, scan: asyncio.Task[None], lost: asyncio.Event) -> None:
        interval = min(self._limits.lease.total_seconds() / 3, 5.0)
        while not scan.done():
            await asyncio.sleep(interval)
            async with self._audit_log.unit_of_work() as session:
                held = await renew(session, claim, until=self._clock() + self._limits.lease)
            if not held:
                lost.set()
                scan.cancel()
                return

    async def _bounded_scan(self, claim: ClaimedRun, progress: RunProgress) -> None:
        # A run allocates millions of short-lived objects; frozen, the process's long-lived ones (modules,
        # the app) are left out of the collector's full passes, which otherwise traverse them again and again.
        gc.freeze()
        automatic = gc.isenabled()
        try:
            async with asyncio.timeout(self._limits.ceiling_seconds):
                await self._scan(claim, progress)
        finally:
            if automatic:
                gc.enable()
            gc.unfreeze()

    async def _scan(self, claim: ClaimedRun, progress: RunProgress) -> None:
        specialty = SPECIALTIES.get(claim.specialty)
        if specialty is None:
            raise ValueError(f"no specialty {claim.specialty!r} is registered")
        if self._limits.processes > 1:
            warm_pool()
        keep = relevant_lines(specialty.needs, self._catalogue)
        types = exported_types(specialty.needs)
        kept_for = needs_fingerprint(specialty.needs, self._catalogue, types)
        with open_population(self._increments.kept_path(claim), keep=keep, kept_for=kept_for) as population:
            async with self._audit_log.unit_of_work() as session:
                since = await incremental_since(
                    session,
                    claim,
                    self._increments,
                    kept_transaction_time=population.kept_transaction_time,
                    now=self._clock(),
                )
            spill = population.start(incremental=since is not None)
            progress.phase = "export"
            exported = BulkExportProgress()
            stream = self._export.export(claim.practice_ods, types, since=since, progress=exported)
            async with stream as batches:
                async for lines in batches:
                    for line in lines:
                        spill.add(line)
            only = spill.touched if since is not None else None
            progress.patients_total = spill.patient_count() if only is None else len(only)
            progress.phase = "rules"
            now = self._clock()
            context = SummaryContext(
                today=now.date(), generated_at=now, settings=self._specialty_settings.of(specialty.code)
            )
            batch, unfound = await self._examine(claim, specialty.code, context, spill, only, progress)
            ended = (since, exported.transaction_time)
            await self._commit(claim, batch, unfound, progress, finished=ended, whole=since is None)
            population.keep(exported.transaction_time)
            progress.phase = "done"

    async def _examine(
        self,
        claim: ClaimedRun,
        specialty: str,
        context: SummaryContext,
        spill: PatientSpill,
        only: set[str] | None,
        progress: RunProgress,
    ) -> tuple[list[PatientFindings], list[str]]:
        """Examines each stored patient (of ``only``, an incremental run's), committing progress as it goes;
        what is found and what is not found again, since the last commit."""
        read_patient = partial(self._export.read_patient, claim.practice_ods)
        examiner = Examiner(read_patient, specialty, context, self._catalogue)
        # A full run's store is read by the pool's processes themselves; an incremental run's changes are not
        # committed until the run is done (all or none), so its patients, usually few, are examined here.
        large = (progress.patients_total or 0) >= self._limits.pool_from
        pooled = self._limits.processes > 1 and large and only is None
        batch: list[PatientFindings] = []
        # Records built here live until the next patient's: the collector's automatic passes would traverse
        # them again and again, so it is off while patients are examined and collects at each progress commit
        # instead (``_commit``); ``_bounded_scan`` turns it back on.
        gc.disable()
        # Patients read again and found nothing, and patients deleted upstream: their findings resolve.
        unfound = [nhs for nhs in map(self._nhs_number_of(claim), spill.deleted_patients) if nhs]
        if pooled:
            ranges = spill.ranges(BATCH_PATIENTS)
            examined_all = examined_in_pool(examiner, spill.path, ranges, processes=self._limits.processes)
        else:
            examined_all = examined_here(examiner, spill.stored_patients(only))
        async with aclosing(examined_all) as results:
            async for examined in results:
                if pooled:
                    progress.cpu_seconds_elsewhere += examined.cpu_seconds
                    progress.peak_mb_elsewhere = max(progress.peak_mb_elsewhere, examined.peak_mb)
                for patient in examined.patients:
                    progress.patients_scanned += 1
                    if patient.nhs_number is not None and patient.findings:
                        batch.append(PatientFindings(patient.nhs_number, patient.name, patient.findings))
                    elif patient.nhs_number is not None and only is not None:
                        # Read again by an incremental run and found nothing now: their findings resolve.
                        unfound.append(patient.nhs_number)
                    if progress.patients_scanned % self._limits.progress_every == 0:
                        await self._commit(claim, batch, unfound, progress)
                        batch, unfound = [], []
        return batch, unfound

    def _nhs_number_of(self, claim: ClaimedRun) -> Callable[[bytes], str | None]:
        def nhs_number(body: bytes) -> str | None:
            try:
                patient = orjson.loads(body)
                return self._export.read_patient(claim.practice_ods, patient, []).patient.nhs_number
            except (ValueError, orjson.JSONDecodeError):
                return None

        return nhs_number

    async def _commit(
        self,
        claim: ClaimedRun,
        batch: list[PatientFindings],
        unfound: list[str],
        progress: RunProgress,
        *,
        finished: tuple[datetime | None, datetime | None] | None = None,
        whole: bool = True,
    ) -> None:
        gc.collect()
        now = self._clock()
        async with self._audit_log.unit_of_work() as session:
            opened = await store_findings(session, claim, batch, now=now)
            await resolve_patients(session, claim, unfound)
            if finished is not None:
                if whole:
                    await resolve_unfound(session, claim)
                else:
                    await carry_forward(session, claim)
            progress.findings = await count_found(session, claim.run_id)
            counts = RunCounts(progress.patients_scanned, progress.findings)
            if finished is not None:
                held = await settle(
                    session, claim, status=RunStatus.DONE, now=now, counts=counts, exported=finished
                )
            else:
                held = await renew(session, claim, until=now + self._limits.lease, counts=counts)
            if not held:
                raise RunLost(claim.run_id)
            await self._audit_opened(session, claim, opened)

    async def _audit_opened(self, session: AsyncSession, claim: ClaimedRun, opened: list[str]) -> None:
        outcomes = [
            Outcome(
                AuditNote(
                    purpose=FINDING_OPENED_PURPOSE,
                    action=f"case-finding run {claim.run_id}",
                    nhs_number=nhs_number,
                    specialty=claim.specialty,
                ),
                "success",
                200,
            )
            for nhs_number in opened
        ]
        await self._audit_log.append_all(
            session, principal=run_principal(claim), request_id=claim.run_id, outcomes=outcomes
        )

    async def _fail(self, claim: ClaimedRun, error: str) -> None:
        log.warning("case-finding run %s failed: %s", claim.run_id, error)
        async with self._audit_log.unit_of_work() as session:
            await settle(session, claim, status=RunStatus.FAILED, now=self._clock(), error=error[:1000])


def run_principal(claim: ClaimedRun) -> Principal:
    """Whoever asked for the run: the findings it raises are audited in their name."""
    role = Role(claim.requested_role)
    return Principal(
        sub=claim.requested_by,
        role=role,
        specialty=claim.specialty if role is Role.CONSULTANT else None,
        ods=claim.practice_ods if role in (Role.GP, Role.GP_SYSTEM) else None,
    )
