"""Case-finding runs, durable jobs a worker claims, and the findings they raise, one per patient a specialty.

A finding outlives the run that raised it: later runs of the same practice and specialty update it, resolve
it when they no longer find it, and leave it dismissed unless it has grown worse.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class FindingStatus(StrEnum):
    NEW = "new"
    ADDED_TO_CLINIC = "added-to-clinic"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


def _new_id() -> str:
    return uuid.uuid4().hex


def _values(kind: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in kind)


def _timestamp(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class CaseFindingRun(SQLModel, table=True):
    __tablename__ = "case_finding_runs"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(RunStatus)})", name="ck_case_finding_runs_status"),
        Index("ix_case_finding_runs_due", "status", "lease_until"),
        Index("ix_case_finding_runs_practice", "practice_ods", "specialty", "created_at"),
    )

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    practice_ods: str = Field(max_length=10)
    specialty: str = Field(max_length=64)
    status: str = Field(max_length=16)
    # Who asked, so the findings a worker raises are audited in their name ("schedule" for the monthly run).
    requested_by: str = Field(max_length=200)
    requested_role: str = Field(max_length=16)
    # Each claim bumps it; a worker writes only while the run still carries the attempt it claimed.
    attempts: int = 0
    lease_until: datetime | None = _timestamp()
    patients_scanned: int = 0
    findings_count: int = 0
    error: str | None = Field(default=None, max_length=1000)
    # Asked to read the whole population; else the worker reads only the changes since the last run when it
    # can. ``since`` is the ``_since`` the run asked for (None: the whole population) and
    # ``transaction_time`` its export's, the next incremental run's ``_since``.
    full: bool = False
    since: datetime | None = _timestamp()
    transaction_time: datetime | None = _timestamp()
    created_at: datetime = _timestamp(nullable=False)
    started_at: datetime | None = _timestamp()
    finished_at: datetime | None = _timestamp()


class CaseFindingRecord(SQLModel, table=True):
    """What case-finding found for one patient in one specialty's searches of their practice."""

    __tablename__ = "case_findings"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(FindingStatus)})", name="ck_case_findings_status"),
        UniqueConstraint("practice_ods", "specialty", "nhs_number", name="uq_case_findings_patient"),
        # A run's findings are paged by id; the practice's register reads coding gaps first.
        Index("ix_case_findings_run", "run_id", "id"),
        Index("ix_case_findings_practice", "practice_ods", "specialty", "coding_gap", "id"),
    )

    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    practice_ods: str = Field(max_length=10)
    specialty: str = Field(max_length=64)
    nhs_number: str = Field(max_length=10)
    name: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=16)
    # The latest run that found it, and what that run found: [{code, title, evidence, severity, coding_gap}].
    run_id: str = Field(max_length=32)
    rules: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    severity: int = 1
    coding_gap: bool = False
    first_found_at: datetime = _timestamp(nullable=False)
    last_found_at: datetime = _timestamp(nullable=False)
    dismissed_reason: str | None = Field(default=None, max_length=1000)
    dismissed_severity: int | None = None
    dismissed_by: str | None = Field(default=None, max_length=200)
    clinic_entry_id: str | None = Field(default=None, max_length=32)
