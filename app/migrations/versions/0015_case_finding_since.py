"""Incremental case-finding runs: whether a run was asked to read the whole population, the ``_since`` it
asked for (none: the whole population), and the export's ``transactionTime``, the next run's ``_since``.

Revision ID: 0015_case_finding_since
Revises: 0009_case_finding
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_case_finding_since"
down_revision: str | None = "0014_attachments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_finding_runs") as batch:
        batch.add_column(sa.Column("full", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("transaction_time", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_finding_runs") as batch:
        batch.drop_column("transaction_time")
        batch.drop_column("since")
        batch.drop_column("full")
