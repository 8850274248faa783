"""Case-finding for the API: who may start and read runs, and what may be done with a finding.

Least privilege: a run, its findings and what is done with them belong to the specialty's consultants, the
admins, and the practice's own users and systems; putting a finding on a clinic's list is a clinic's work,
so only the specialty's consultants and admins may. Functions flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import String, cast, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.access.relationships import CareRelationship, RelationshipRows, RelationshipSource
from app.auth.principal import PRACTICE_ROLES, Principal, Role
from app.case_finding.models import (
    ACTIVE_RUN_STATUSES,
    CaseFindingRecord,
    CaseFindingRun,
    FindingStatus,
    RunStatus,
)
from app.clinics.models import Clinic, ClinicEntry
from app.clinics.service import ACTIVE_ENTRY_STATUSES, add_found_patient, clinic_for
from app.core.cursors import InvalidCursor, decode_cursor, encode_cursor
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.records.practices import PracticeConfig
from app.specialties.registry import SPECIALTIES
from schemas.api.case_finding import RunCreate
from schemas.api.clinics import ClinicStatus

FINDINGS_LIST = "this run's findings"
_CURSOR_PREFIX = "finding:"
OPEN_FINDINGS = (FindingStatus.NEW.value, FindingStatus.ADDED_TO_CLINIC.value)


def require_run_access(principal: Principal, practice_ods: str, specialty: str) -> None:
    """Admins, the specialty's consultants, and the practice's own users and systems."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.CONSULTANT and principal.specialty == specialty:
        return
    if principal.role in PRACTICE_ROLES and principal.ods == practice_ods:
        return
    raise Forbidden(
        f"only {specialty} consultants, admins and practice {practice_ods}'s own users may work with its "
        "case-finding"
    )


def require_practice_access(principal: Principal, practice_ods: str) -> None:
    if principal.role is Role.ADMIN or (principal.role in PRACTICE_ROLES and principal.ods == practice_ods):
        return
    raise Forbidden(f"only admins and practice {practice_ods}'s own users may read its case-finding register")


async def start_run(
    session: AsyncSession,
    *,
    author: Principal,
    submission: RunCreate,
    practices: Mapping[str, PracticeConfig],
    now: datetime,
) -> CaseFindingRun:
    """A queued run, or the run already queued or running for the practice and specialty."""
    if submission.specialty not in SPECIALTIES:
        raise Unprocessable(
            f"no specialty {submission.specialty!r}; available: {', '.join(sorted(SPECIALTIES))}"
        )
    require_run_access(author, submission.practice_ods, submission.specialty)
    practice = practices.get(submission.practice_ods)
    if practice is None:
        raise NotFound(f"practice {submission.practice_ods} is not connected to this service")
    if not practice.case_finding:
        raise Conflict(
            f"practice {submission.practice_ods} has not agreed to population searches "
            "(case_finding is not set for it in the practices file)"
        )
    active = select(CaseFindingRun).where(
        col(CaseFindingRun.practice_ods) == submission.practice_ods,
        col(CaseFindingRun.specialty) == submission.specialty,
        col(CaseFindingRun.status).in_(ACTIVE_RUN_STATUSES),
    )
    existing = (await session.execute(active.limit(1))).scalar_one_or_none()
    if existing is not None:
        return existing
    run = CaseFindingRun(
        practice_ods=submission.practice_ods,
        specialty=submission.specialty,
        status=RunStatus.QUEUED.value,
        requested_by=author.sub,
        requested_role=author.role.value,
        full=submission.full,
        created_at=now,
    )
    session.add(run)
    await session.flush()
    return run


async def run_for(session: AsyncSession, principal: Principal, run_id: str) -> CaseFindingRun:
    run = await session.get(CaseFindingRun, run_id)
    if run is None:
        raise NotFound(f"no case-finding run {run_id}")
    require_run_access(principal, run.practice_ods, run.specialty)
    return run


async def cancel_run(
    session: AsyncSession, principal: Principal, run_id: str, *, now: datetime
) -> CaseFindingRun:
    """Cancels a queued or running run (its worker stops at its next heartbeat); an ended run stays as is."""
    run = await run_for(session, principal, run_id)
    if run.status in ACTIVE_RUN_STATUSES:
        run.status = RunStatus.CANCELLED.value
        run.lease_until = None
        run.finished_at = now
        await session.flush()
    return run


async def findings_page(
    session: AsyncSession, run: CaseFindingRun, *, after: str | None, limit: int
) -> tuple[Sequence[CaseFindingRecord], str | None]:
    """One page of what the run found (findings it last found), in a stable order."""
    query = select(CaseFindingRecord).where(col(CaseFindingRecord.run_id) == run.id)
    if after is not None:
        last_id = decode_cursor(after, list_name=FINDINGS_LIST).removeprefix(_CURSOR_PREFIX)
        if not (len(last_id) == 32 and all(c in "0123456789abcdef" for c in last_id)):
            raise InvalidCursor(FINDINGS_LIST)
        query = query.where(col(CaseFindingRecord.id) > last_id)
    rows = (await session.execute(query.order_by(col(CaseFindingRecord.id)).limit(limit + 1))).scalars().all()
    page = rows[:limit]
    next_cursor = encode_cursor(f"{_CURSOR_PREFIX}{page[-1].id}") if len(rows) > limit else None
    return page, next_cursor


async def finding_for(session: AsyncSession, principal: Principal, finding_id: str) -> CaseFindingRecord:
    finding = await session.get(CaseFindingRecord, finding_id, with_for_update=True)
    if finding is None:
        raise NotFound(f"no case finding {finding_id}")
    require_run_access(principal, finding.practice_ods, finding.specialty)
    return finding


async def dismiss_finding(
    session: AsyncSession, principal: Principal, finding_id: str, *, reason: str
) -> CaseFindingRecord:
    """Dismisses a new finding: later runs leave it dismissed unless they find it more severe."""
    finding = await finding_for(session, principal, finding_id)
    if finding.status != FindingStatus.NEW:
        raise Conflict(f"the finding is {finding.status}; only a new finding can be dismissed")
    finding.status = FindingStatus.DISMISSED.value
    finding.dismissed_reason = reason
    finding.dismissed_severity = finding.severity
    finding.dismissed_by = principal.sub
    await session.flush()
    return finding


def found_rules(finding: CaseFindingRecord) -> str:
    """The rules that found the patient, as the clinic entry's reason and the audit's access reason give."""
    return rules_reason(finding.rules)


def rules_reason(rules: Sequence[Mapping[str, Any]]) -> str:
    return "case finding: " + "; ".join(str(rule["title"]) for rule in rules)


async def add_finding_to_clinic(
    session: AsyncSession, principal: Principal, finding_id: str, *, clinic_id: str, now: datetime
) -> tuple[CaseFindingRecord, ClinicEntry]:
    """Puts the finding's patient on an open clinic of its specialty (its consultants and admins)."""
    finding = await finding_for(session, principal, finding_id)
    if principal.role not in (Role.ADMIN, Role.CONSULTANT):
        raise Forbidden("only consultants and admins put patients on clinic lists")
    if finding.status != FindingStatus.NEW:
        raise Conflict(f"the finding is {finding.status}; only a new finding can be added to a clinic")
    clinic = await clinic_for(session, principal, clinic_id, for_update=True)
    if clinic.specialty != finding.specialty:
        raise Conflict(f"the clinic is a {clinic.specialty} clinic and the finding is {finding.specialty}'s")
    entry = await add_found_patient(
        session,
        clinic=clinic,
        author=principal,
        nhs_number=finding.nhs_number,
        practice_ods=finding.practice_ods,
        reason=found_rules(finding)[:1000],
        now=now,
    )
    finding.status = FindingStatus.ADDED_TO_CLINIC.value
    finding.clinic_entry_id = entry.id
    await session.flush()
    return finding, entry


def _findings_on_open_lists(specialty: str, nhs_number: str) -> RelationshipRows:
    return (
        select(
            literal_column("1").label("rank"),
            cast(col(CaseFindingRecord.rules), String).label("detail"),
            col(ClinicEntry.added_at).label("since"),
        )
        .join(ClinicEntry, col(ClinicEntry.id) == col(CaseFindingRecord.clinic_entry_id))
        .join(Clinic, col(Clinic.id) == col(ClinicEntry.clinic_id))
        .where(
            col(CaseFindingRecord.specialty) == specialty,
            col(CaseFindingRecord.nhs_number) == nhs_number,
            col(Clinic.status) == ClinicStatus.OPEN.value,
            col(ClinicEntry.status).in_([s.value for s in ACTIVE_ENTRY_STATUSES]),
        )
    )


def _finding_relationship(rank: int, rules: str | None) -> CareRelationship:
    # The rules come as the JSON text the finding keeps them in: one query carries every domain's rows.
    found: list[dict[str, Any]] = orjson.loads(rules or "[]")
    return CareRelationship(case_finding=rules_reason(found)[:1000])


# The relationship a finding put on the list of an open clinic of the specialty, still on it, gives.
FOUND_IN_SPECIALTY = RelationshipSource(_findings_on_open_lists, _finding_relationship)


async def practice_register(
    session: AsyncSession, practice_ods: str, *, limit: int
) -> list[tuple[CaseFindingRun, Sequence[CaseFindingRecord]]]:
    """Per specialty with a run at the practice: its latest run and open findings, coding gaps first."""
    register = []
    for specialty in sorted(SPECIALTIES):
        latest = (
            select(CaseFindingRun)
            .where(
                col(CaseFindingRun.practice_ods) == practice_ods, col(CaseFindingRun.specialty) == specialty
            )
            .order_by(col(CaseFindingRun.created_at).desc())
            .limit(1)
        )
        run = (await session.execute(latest)).scalar_one_or_none()
        if run is None:
            continue
        findings = (
            select(CaseFindingRecord)
            .where(
                col(CaseFindingRecord.practice_ods) == practice_ods,
                col(CaseFindingRecord.specialty) == specialty,
                col(CaseFindingRecord.status).in_(OPEN_FINDINGS),
            )
            .order_by(col(CaseFindingRecord.coding_gap).desc(), col(CaseFindingRecord.id))
            .limit(limit)
        )
        register.append((run, (await session.execute(findings)).scalars().all()))
    return register


async def every_finding(session: AsyncSession, run: CaseFindingRun) -> list[CaseFindingRecord]:
    """All the run found, coding gaps first, for the command line's table."""
    query = (
        select(CaseFindingRecord)
        .where(col(CaseFindingRecord.run_id) == run.id)
        .order_by(col(CaseFindingRecord.coding_gap).desc(), col(CaseFindingRecord.id))
    )
    return list((await session.execute(query)).scalars().all())


async def latest_run(
    session: AsyncSession, practice_ods: str, specialty: str, *, status: RunStatus | None = None
) -> CaseFindingRun | None:
    """The practice's latest run of the specialty (with ``status``, the latest in that status), if any."""
    query = select(CaseFindingRun).where(
        col(CaseFindingRun.practice_ods) == practice_ods, col(CaseFindingRun.specialty) == specialty
    )
    if status is not None:
        query = query.where(col(CaseFindingRun.status) == status.value)
    latest = query.order_by(col(CaseFindingRun.created_at).desc()).limit(1)
    return (await session.execute(latest)).scalar_one_or_none()
