"""Storing what a run finds: one row per patient and specialty, updated by each run that finds it again.

A new finding, or one raised again (resolved before, or dismissed and now more severe), is "opened": the
caller audits each. Writing a patient twice in one run (a run restarted after its worker died) changes
nothing the second time, so a resumed run duplicates no finding and audits none twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.case_finding.claims import ClaimedRun
from app.case_finding.models import CaseFindingRecord, FindingStatus
from app.specialties.base import CaseFinding


@dataclass(frozen=True, slots=True)
class PatientFindings:
    nhs_number: str
    name: str | None
    findings: tuple[CaseFinding, ...]


def _rules(findings: Sequence[CaseFinding]) -> list[dict[str, Any]]:
    return [
        {
            "code": f.code,
            "title": f.title,
            "evidence": f.evidence,
            "severity": f.severity,
            "coding_gap": f.coding_gap,
        }
        for f in findings
    ]


def _severity(findings: Sequence[CaseFinding]) -> int:
    return max(f.severity for f in findings)


async def store_findings(
    session: AsyncSession, claim: ClaimedRun, found: Sequence[PatientFindings], *, now: datetime
) -> list[str]:
    """Writes a batch of patients' findings; returns the NHS numbers whose finding was opened."""
    if not found:
        return []
    query = select(CaseFindingRecord).where(
        col(CaseFindingRecord.practice_ods) == claim.practice_ods,
        col(CaseFindingRecord.specialty) == claim.specialty,
        col(CaseFindingRecord.nhs_number).in_([p.nhs_number for p in found]),
    )
    existing = {row.nhs_number: row for row in (await session.execute(query)).scalars()}
    opened: list[str] = []
    for patient in found:
        severity = _severity(patient.findings)
        row = existing.get(patient.nhs_number)
        if row is None:
            row = CaseFindingRecord(
                practice_ods=claim.practice_ods,
                specialty=claim.specialty,
                nhs_number=patient.nhs_number,
                status=FindingStatus.NEW.value,
                run_id=claim.run_id,
                rules=[],
                first_found_at=now,
                last_found_at=now,
            )
            session.add(row)
            opened.append(patient.nhs_number)
        elif row.status == FindingStatus.RESOLVED or (
            row.status == FindingStatus.DISMISSED and severity > (row.dismissed_severity or 0)
        ):
            row.status = FindingStatus.NEW.value
            opened.append(patient.nhs_number)
        row.name = patient.name[:200] if patient.name else None
        row.run_id = claim.run_id
        row.rules = _rules(patient.findings)
        row.severity = severity
        row.coding_gap = any(f.coding_gap for f in patient.findings)
        row.last_found_at = now
    await session.flush()
    return opened


def _open_findings(claim: ClaimedRun) -> list[ColumnElement[bool]]:
    """The practice's open findings for the run's specialty: new, or added to a clinic."""
    return [
        col(CaseFindingRecord.practice_ods) == claim.practice_ods,
        col(CaseFindingRecord.specialty) == claim.specialty,
        col(CaseFindingRecord.status).in_([FindingStatus.NEW, FindingStatus.ADDED_TO_CLINIC]),
    ]


async def resolve_unfound(session: AsyncSession, claim: ClaimedRun) -> None:
    """After a whole run: what it no longer finds is resolved, unless dismissed (which stays dismissed)."""
    await session.execute(
        update(CaseFindingRecord)
        .where(*_open_findings(claim), col(CaseFindingRecord.run_id) != claim.run_id)
        .values(status=FindingStatus.RESOLVED.value)
        .execution_options(synchronize_session=False)
    )


async def resolve_patients(session: AsyncSession, claim: ClaimedRun, nhs_numbers: Sequence[str]) -> None:
    """These patients' open findings are resolved: an incremental run read them again and found nothing,
    or they were deleted upstream."""
    for start in range(0, len(nhs_numbers), 500):
        await session.execute(
            update(CaseFindingRecord)
            .where(
                *_open_findings(claim),
                col(CaseFindingRecord.nhs_number).in_(nhs_numbers[start : start + 500]),
            )
            .values(status=FindingStatus.RESOLVED.value)
            .execution_options(synchronize_session=False)
        )


async def carry_forward(session: AsyncSession, claim: ClaimedRun) -> None:
    """After an incremental run: the open findings of patients nothing changed for still stand, as the run
    before found them, and are this run's too (so its findings list and count are the practice's whole)."""
    await session.execute(
        update(CaseFindingRecord)
        .where(*_open_findings(claim), col(CaseFindingRecord.run_id) != claim.run_id)
        .values(run_id=claim.run_id)
        .execution_options(synchronize_session=False)
    )


async def count_found(session: AsyncSession, run_id: str) -> int:
    query = select(func.count()).select_from(CaseFindingRecord).where(col(CaseFindingRecord.run_id) == run_id)
    count: int = (await session.execute(query)).scalar_one()
    return count
