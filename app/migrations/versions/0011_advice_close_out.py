"""Advice close-out answers (Champlain BASE) and the referral criteria met when a request was made.

Revision ID: 0011_advice_close_out
Revises: 0009_case_finding
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_advice_close_out"
down_revision: str | None = "0010_cds_hooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("course_of_action", "referral_outcome", "criteria_met", "outside_criteria_reason")


def upgrade() -> None:
    # Nullable: requests made before this know neither their close-out answers nor their criteria.
    op.add_column("advice_requests", sa.Column("course_of_action", sa.String(64), nullable=True))
    op.add_column("advice_requests", sa.Column("referral_outcome", sa.String(64), nullable=True))
    op.add_column("advice_requests", sa.Column("criteria_met", sa.JSON(), nullable=True))
    op.add_column("advice_requests", sa.Column("outside_criteria_reason", sa.String(1000), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN, not a batch copy, as 0006 does.
    for column in reversed(_COLUMNS):
        op.drop_column("advice_requests", column)
