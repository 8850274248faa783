"""The case-finding worker: claims queued runs one at a time, and queues the monthly runs when they are due.

Any number of ``vclinic worker`` processes may run it against one PostgreSQL database; each run is claimed
by one of them (``app.case_finding.claims``). The monthly schedule queues one run per practice that has
agreed to population searches (``case_finding = true``) and per registered specialty, on
``VCLINIC_CASE_FINDING_SCHEDULE_DAY``, unless that practice and specialty already had a run this month.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from app.audit.service import AuditLog, AuditNote, Outcome
from app.auth.principal import Principal, Role
from app.case_finding.models import CaseFindingRun, RunStatus
from app.case_finding.pipeline import CaseFindingRunner
from app.records.practices import PracticeConfig

log = logging.getLogger("vclinic.case_finding")

SCHEDULE = Principal(sub="schedule", role=Role.ADMIN, name="Monthly case-finding schedule")
# The schedule's check-then-queue, one worker at a time across the database.
SCHEDULE_LOCK_KEY = 0x76636C696E6963C1


class CaseFindingWorker:
    def __init__(
        self,
        runner: CaseFindingRunner,
        audit_log: AuditLog,
        *,
        practices: Mapping[str, PracticeConfig],
        specialties: Iterable[str],
        poll_seconds: float,
        schedule_day: int | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._runner = runner
        self._audit_log = audit_log
        self._practices = practices
        self._specialties = tuple(specialties)
        self._poll_seconds = poll_seconds
        self._schedule_day = schedule_day
        self._clock = clock

    async def run_until_idle(self) -> int:
        """Queues what the schedule makes due, then runs queued runs until none is left; how many it ran."""
        await self.queue_scheduled()
        ran = 0
        while await self._runner.run_next() is not None:
            ran += 1
        return ran

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.queue_scheduled()
                ran = await self._runner.run_next()
            except Exception as exc:
                log.error("case-finding worker round failed", extra={"error_type": type(exc).__name__})
                ran = None
            if ran is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._poll_seconds)

    async def queue_scheduled(self) -> int:
        """Queues this month's runs when today is the schedule's day; how many it queued."""
        now = self._clock()
        if self._schedule_day is None or now.day < self._schedule_day:
            return 0
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        queued = 0
        async with self._audit_log.unit_of_work() as session:
            if not self._audit_log.sqlite:
                await session.execute(select(func.pg_advisory_xact_lock(SCHEDULE_LOCK_KEY)))
            for ods, practice in self._practices.items():
                if not practice.case_finding:
                    continue
                for specialty in self._specialties:
                    already = select(col(CaseFindingRun.id)).where(
                        col(CaseFindingRun.practice_ods) == ods,
                        col(CaseFindingRun.specialty) == specialty,
                        col(CaseFindingRun.created_at) >= month_start,
                    )
                    if (await session.execute(already.limit(1))).first() is not None:
                        continue
                    run = CaseFindingRun(
                        practice_ods=ods,
                        specialty=specialty,
                        status=RunStatus.QUEUED.value,
                        requested_by=SCHEDULE.sub,
                        requested_role=SCHEDULE.role.value,
                        created_at=now,
                    )
                    session.add(run)
                    await session.flush()
                    note = AuditNote(
                        purpose="start a case-finding run",
                        action=f"scheduled case-finding run {run.id} of practice {ods}",
                        specialty=specialty,
                    )
                    await self._audit_log.append_all(
                        session,
                        principal=SCHEDULE,
                        request_id=run.id,
                        outcomes=[Outcome(note, "success", 202)],
                    )
                    queued += 1
        return queued
