"""Audit events say what an access rested on: a consultant-initiated clinic entry, and its reason.

Revision ID: 0006_audit_access_basis
Revises: 0005_registry
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_audit_access_basis"
down_revision: str | None = "0005_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, and hashed only when set: the events already written keep verifying as they are.
    op.add_column("audit_events", sa.Column("access_basis", sa.String(32), nullable=True))
    op.add_column("audit_events", sa.Column("access_reason", sa.String(1000), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN, not a batch copy: recreating the table would shed its append-only triggers.
    op.drop_column("audit_events", "access_reason")
    op.drop_column("audit_events", "access_basis")
