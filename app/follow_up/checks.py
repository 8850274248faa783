"""Closing test-tied actions from the GP record: a result of each analyte group dated after the advice.

The background check claims a bounded batch of open test-tied actions whose ``next_check_at`` has come, as
the outbox claims deliveries: on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so workers on any number of machines
take different actions; on SQLite one UPDATE chooses and takes them under the write lock. A claim pushes
``next_check_at`` on by the lease, so an action whose worker dies is checked again once the lease runs out.
The records are then read with no database connection held, one read per patient, through the records
service (the same normalisation as every summary), asking only for the analytes the actions name and only
back to the oldest advice. Each closure is audited in the transaction that closes it; an action the
practice marked done in the meantime stays done. A record that cannot be read leaves its actions open for
the next check; the log names the kind of failure, never the patient.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.advice.service import as_utc
from app.audit.service import AuditLog, AuditNote
from app.auth.principal import Principal, Role
from app.core.errors import NotFound
from app.follow_up.models import TrackedAction
from app.follow_up.results import analytes_of, results_showing_done
from app.follow_up.service import close_by_result, open_result_tied
from app.records.needs import RecordNeeds, ResultNeed
from app.records.ports import UpstreamError
from app.records.service import fetch_clinical_record
from app.records.wiring import PracticeNetwork
from app.specialties.base import FollowUpActionDefinition, Specialty
from app.specialties.registry import SPECIALTIES
from schemas.api.follow_up import FollowUpStatus, ResultEvidence
from schemas.clinical import ClinicalRecord

log = logging.getLogger("vclinic.follow_up")

RESULT_CHECK = Principal(sub="follow-up-check", role=Role.ADMIN, name="Follow-up result check")
CLOSE_PURPOSE = "close a follow-up action by result"


@dataclass(frozen=True, slots=True)
class ClaimedAction:
    id: str
    nhs_number: str
    specialty: str
    code: str
    advised_at: datetime


@dataclass(frozen=True, slots=True)
class CheckTiming:
    """``interval``: between two checks of one action; ``lease``: how long a claim keeps other workers off."""

    interval: timedelta
    lease: timedelta
    batch_size: int


def definition_of(specialty: str, code: str) -> FollowUpActionDefinition | None:
    plugin = SPECIALTIES.get(specialty)
    if plugin is None:
        return None
    return next((d for d in plugin.follow_up_actions if d.code == code), None)


def _due(due_by: datetime) -> ColumnElement[bool]:
    return (col(TrackedAction.status) == FollowUpStatus.OPEN) & (col(TrackedAction.next_check_at) <= due_by)


async def claim_checks(
    session: AsyncSession,
    *,
    due_by: datetime,
    now: datetime,
    lease: timedelta,
    limit: int,
    after_id: str | None = None,
) -> list[ClaimedAction]:
    """Takes up to ``limit`` open test-tied actions due by ``due_by``, longest waiting first; or, walking all
    of them, those with ids above ``after_id`` in id order. The caller commits before reading records."""
    candidates = select(col(TrackedAction.id)).where(_due(due_by))
    if after_id is None:
        candidates = candidates.order_by(col(TrackedAction.next_check_at))
    else:
        candidates = candidates.where(col(TrackedAction.id) > after_id).order_by(col(TrackedAction.id))
    candidates = candidates.limit(limit)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        ids = list((await session.execute(candidates.with_for_update(skip_locked=True))).scalars())
        if not ids:
            return []
        chosen: ColumnElement[bool] = col(TrackedAction.id).in_(ids)
    else:
        chosen = col(TrackedAction.id).in_(candidates.scalar_subquery())
    claimed = await session.execute(
        update(TrackedAction)
        .where(chosen, _due(due_by))
        .values(next_check_at=now + lease)
        .returning(
            col(TrackedAction.id),
            col(TrackedAction.nhs_number),
            col(TrackedAction.specialty),
            col(TrackedAction.code),
            col(TrackedAction.advised_at),
        )
        .execution_options(synchronize_session=False)
    )
    rows = [
        ClaimedAction(row.id, row.nhs_number, row.specialty, row.code, as_utc(row.advised_at))
        for row in claimed.all()
    ]
    return sorted(rows, key=lambda action: action.id)


def record_needs(actions: Sequence[ClaimedAction], *, today_year: int) -> RecordNeeds:
    """The analytes the actions name, read back to the year of the oldest advice: nothing else."""
    analytes: set[str] = set()
    for action in actions:
        definition = definition_of(action.specialty, action.code)
        if definition is not None:
            analytes |= analytes_of(definition.satisfied_by)
    years = today_year - min(action.advised_at.year for action in actions) + 1
    return RecordNeeds(
        results=tuple(ResultNeed(analyte, years) for analyte in sorted(analytes)),
        medication_years=0,
        conditions=False,
    )


class ResultCheck:
    """Closes actions whose results have arrived; one per worker or command, sharing only the database."""

    def __init__(
        self,
        audit_log: AuditLog,
        network: PracticeNetwork,
        *,
        timing: CheckTiming,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._audit_log = audit_log
        self._network = network
        self._timing = timing
        self._clock = clock

    async def check_due(self) -> int:
        """One batch of the actions due now; how many it claimed (the batch size means more may be due)."""
        now = self._clock()
        claimed = await self._claim(due_by=now, now=now)
        await self._check(claimed)
        return len(claimed)

    async def check_everything(self) -> int:
        """Every open test-tied action, due or not, a batch at a time in id order; how many it closed."""
        closed, after_id = 0, ""
        never = datetime.max.replace(tzinfo=UTC)
        while True:
            now = self._clock()
            claimed = await self._claim(due_by=never, now=now, after_id=after_id)
            if not claimed:
                return closed
            closed += await self._check(claimed)
            after_id = claimed[-1].id

    async def _claim(
        self, *, due_by: datetime, now: datetime, after_id: str | None = None
    ) -> list[ClaimedAction]:
        async with self._audit_log.unit_of_work() as session:
            return await claim_checks(
                session,
                due_by=due_by,
                now=now,
                lease=self._timing.lease,
                limit=self._timing.batch_size,
                after_id=after_id,
            )

    async def _check(self, claimed: Sequence[ClaimedAction]) -> int:
        by_patient: dict[str, list[ClaimedAction]] = defaultdict(list)
        for action in claimed:
            by_patient[action.nhs_number].append(action)
        closed = 0
        for nhs_number, actions in by_patient.items():
            now = self._clock()
            try:
                record = await fetch_clinical_record(
                    self._network, nhs_number, record_needs(actions, today_year=now.year), today=now.date()
                )
            except (UpstreamError, NotFound) as failure:
                log.warning(
                    "follow-up check could not read a record", extra={"error_type": type(failure).__name__}
                )
                await self._reschedule(actions, now)
                continue
            closed += await close_from_record(self._audit_log, record, actions, by=RESULT_CHECK, now=now)
            await self._reschedule(actions, now)
        return closed

    async def _reschedule(self, actions: Sequence[ClaimedAction], now: datetime) -> None:
        async with self._audit_log.unit_of_work() as session:
            await session.execute(
                update(TrackedAction)
                .where(
                    col(TrackedAction.id).in_([action.id for action in actions]),
                    col(TrackedAction.status) == FollowUpStatus.OPEN,
                )
                .values(next_check_at=now + self._timing.interval)
                .execution_options(synchronize_session=False)
            )


def claimed_from(actions: Sequence[TrackedAction]) -> list[ClaimedAction]:
    """Actions read for a patient (when their summary is read), in the shape the check closes."""
    return [
        ClaimedAction(action.id, action.nhs_number, action.specialty, action.code, as_utc(action.advised_at))
        for action in actions
    ]


async def close_from_record(
    audit_log: AuditLog,
    record: ClinicalRecord,
    actions: Sequence[ClaimedAction],
    *,
    by: Principal,
    now: datetime,
) -> int:
    """Closes each action the record shows done, each closure audited with it; how many it closed."""
    closed = 0
    for action in actions:
        definition = definition_of(action.specialty, action.code)
        if definition is None:
            continue
        evidence = results_showing_done(record, definition.satisfied_by, action.advised_at)
        if evidence is not None and await _close(audit_log, action, evidence, by=by, now=now):
            closed += 1
    return closed


async def _close(
    audit_log: AuditLog,
    action: ClaimedAction,
    evidence: list[ResultEvidence],
    *,
    by: Principal,
    now: datetime,
) -> bool:
    async with audit_log.unit_of_work() as session:
        if not await close_by_result(session, action_id=action.id, evidence=evidence, by=by.sub, now=now):
            return False
        shown = ", ".join(f"{item.analyte} of {item.taken_at.date().isoformat()}" for item in evidence)
        note = AuditNote(
            purpose=CLOSE_PURPOSE,
            action=f"follow-up action {action.id} ({action.code}) closed by result: {shown}",
            nhs_number=action.nhs_number,
            specialty=action.specialty,
        )
        await audit_log.append(
            session, principal=by, note=note, outcome="success", status=200, request_id=action.id
        )
    return True


async def close_actions_shown_done(
    session: AsyncSession,
    audit_log: AuditLog,
    record: ClinicalRecord,
    *,
    specialty: Specialty,
    nhs_number: str,
    now: datetime,
) -> int:
    """When a summary is read: the patient's open actions that the record just read shows done, closed.

    Cheap: one indexed query, which finds nothing for most patients, and no further read of the record. Only
    actions whose analytes the summary reads are judged here; the others wait for the background check.
    """
    read = {need.analyte for need in specialty.needs.results}
    actions = [
        action
        for action in claimed_from(
            await open_result_tied(session, nhs_number=nhs_number, specialty=specialty.code)
        )
        if (definition := definition_of(action.specialty, action.code)) is not None
        and analytes_of(definition.satisfied_by) <= read
    ]
    await session.commit()
    if not actions:
        return 0
    return await close_from_record(audit_log, record, actions, by=RESULT_CHECK, now=now)
