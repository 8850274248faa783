"""Case-finding runs, as durable jobs workers claim, and the findings they raise.

Revision ID: 0009_case_finding
Revises: 0008_audit_batches
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009_case_finding"
down_revision: str | None = "0008_audit_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RUN_STATUSES = "'queued', 'running', 'done', 'failed', 'cancelled'"
_FINDING_STATUSES = "'new', 'added-to-clinic', 'dismissed', 'resolved'"


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "case_finding_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("practice_ods", sa.String(10), nullable=False),
        sa.Column("specialty", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_role", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("lease_until"),
        sa.Column("patients_scanned", sa.Integer(), nullable=False),
        sa.Column("findings_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(1000), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("started_at"),
        _timestamp("finished_at"),
        sa.CheckConstraint(f"status IN ({_RUN_STATUSES})", name="ck_case_finding_runs_status"),
    )
    op.create_index("ix_case_finding_runs_due", "case_finding_runs", ["status", "lease_until"])
    op.create_index(
        "ix_case_finding_runs_practice", "case_finding_runs", ["practice_ods", "specialty", "created_at"]
    )
    op.create_table(
        "case_findings",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("practice_ods", sa.String(10), nullable=False),
        sa.Column("specialty", sa.String(64), nullable=False),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("coding_gap", sa.Boolean(), nullable=False),
        _timestamp("first_found_at", nullable=False),
        _timestamp("last_found_at", nullable=False),
        sa.Column("dismissed_reason", sa.String(1000), nullable=True),
        sa.Column("dismissed_severity", sa.Integer(), nullable=True),
        sa.Column("dismissed_by", sa.String(200), nullable=True),
        sa.Column("clinic_entry_id", sa.String(32), nullable=True),
        sa.CheckConstraint(f"status IN ({_FINDING_STATUSES})", name="ck_case_findings_status"),
        sa.UniqueConstraint("practice_ods", "specialty", "nhs_number", name="uq_case_findings_patient"),
    )
    op.create_index("ix_case_findings_run", "case_findings", ["run_id", "id"])
    op.create_index(
        "ix_case_findings_practice", "case_findings", ["practice_ods", "specialty", "coding_gap", "id"]
    )


def downgrade() -> None:
    op.drop_table("case_findings")
    op.drop_table("case_finding_runs")
