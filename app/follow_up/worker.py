"""The follow-up half of ``vclinic worker``: checks due actions against the record, and writes overdue events.

Each round is bounded (``VCLINIC_FOLLOW_UP_BATCH_SIZE`` checks and as many notices); a full round goes
straight on to the next, a short one waits ``VCLINIC_FOLLOW_UP_POLL_SECONDS``. Any number of workers may
share one database (see ``checks`` and ``overdue`` for how they keep out of each other's way).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from app.advice.responses import PRACTICE_TIME_ZONE
from app.audit.service import AuditLog
from app.follow_up.checks import ResultCheck
from app.follow_up.overdue import notify_overdue

log = logging.getLogger("vclinic.follow_up")


class FollowUpWorker:
    def __init__(
        self,
        check: ResultCheck,
        audit_log: AuditLog,
        *,
        batch_size: int,
        poll_seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.check = check
        self._audit_log = audit_log
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._clock = clock

    async def run_round(self) -> bool:
        """One bounded round; True when it was full, so more may be waiting."""
        checked = await self.check.check_due()
        now = self._clock()
        async with self._audit_log.unit_of_work() as session:
            today = now.astimezone(PRACTICE_TIME_ZONE).date()
            notified = await notify_overdue(session, today=today, now=now, limit=self._batch_size)
        return checked >= self._batch_size or notified >= self._batch_size

    async def run_until_idle(self, *, max_rounds: int = 1000) -> int:
        """Rounds until one is short, at most ``max_rounds``; how many it ran."""
        rounds = 0
        while rounds < max_rounds:
            rounds += 1
            if not await self.run_round():
                break
        return rounds

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                more = await self.run_round()
            except Exception as exc:
                log.error("follow-up worker round failed", extra={"error_type": type(exc).__name__})
                more = False
            if not more:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._poll_seconds)
