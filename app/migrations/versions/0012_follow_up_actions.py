"""Follow-up actions of consultants' responses, tracked until the practice or a result closes them.

Revision ID: 0012_follow_up_actions
Revises: 0009_case_finding
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012_follow_up_actions"
down_revision: str | None = "0011_advice_close_out"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = "'open', 'done', 'closed-by-result', 'superseded'"


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "follow_up_actions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("advice_request_id", sa.String(32), sa.ForeignKey("advice_requests.id"), nullable=False),
        sa.Column("response_id", sa.Integer(), sa.ForeignKey("advice_responses.id"), nullable=False),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("practice_ods", sa.String(10), nullable=False),
        sa.Column("specialty", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("note", sa.String(1000), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_sort", sa.Date(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        _timestamp("advised_at", nullable=False),
        _timestamp("next_check_at"),
        _timestamp("overdue_notified_at"),
        _timestamp("closed_at"),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.Column("closed_by_role", sa.String(32), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_follow_up_actions_status"),
    )
    op.create_index(
        "ix_follow_up_actions_practice_due", "follow_up_actions", ["practice_ods", "due_sort", "id"]
    )
    op.create_index(
        "ix_follow_up_actions_practice_status_due",
        "follow_up_actions",
        ["practice_ods", "status", "due_sort", "id"],
    )
    op.create_index(
        "ix_follow_up_actions_request_due", "follow_up_actions", ["advice_request_id", "due_sort", "id"]
    )
    op.create_index("ix_follow_up_actions_check", "follow_up_actions", ["status", "next_check_at"])
    op.create_index(
        "ix_follow_up_actions_overdue", "follow_up_actions", ["status", "overdue_notified_at", "due_sort"]
    )
    op.create_index(
        "ix_follow_up_actions_patient", "follow_up_actions", ["nhs_number", "specialty", "status"]
    )


def downgrade() -> None:
    op.drop_table("follow_up_actions")
