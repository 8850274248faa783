"""CDS Hooks: JWT ids already used, the cards issued and the feedback on them.

Revision ID: 0010_cds_hooks
Revises: 0009_case_finding
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010_cds_hooks"
down_revision: str | None = "0009_case_finding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "cds_hooks_token_uses",
        sa.Column("issuer", sa.String(500), primary_key=True),
        sa.Column("jti", sa.String(200), primary_key=True),
        _timestamp("expires_at"),
    )
    op.create_index("ix_cds_hooks_token_uses_expires_at", "cds_hooks_token_uses", ["expires_at"])
    op.create_table(
        "cds_hooks_cards",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("specialty", sa.String(64), nullable=False),
        sa.Column("practice_ods", sa.String(10), nullable=False),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("indicator", sa.String(16), nullable=False),
        sa.Column("rule_codes", sa.JSON(), nullable=False),
        sa.Column("hook_instance", sa.String(36), nullable=False),
        _timestamp("issued_at"),
    )
    op.create_index(
        "ix_cds_hooks_cards_practice", "cds_hooks_cards", ["practice_ods", "specialty", "issued_at"]
    )
    op.create_table(
        "cds_hooks_feedback",
        sa.Column("card_uuid", sa.String(36), sa.ForeignKey("cds_hooks_cards.uuid"), primary_key=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("override_reason_system", sa.String(500), nullable=True),
        sa.Column("override_reason_code", sa.String(200), nullable=True),
        sa.Column("accepted_suggestions", sa.Integer(), nullable=False),
        _timestamp("outcome_at"),
        _timestamp("received_at"),
        sa.CheckConstraint("outcome IN ('accepted', 'overridden')", name="ck_cds_hooks_feedback_outcome"),
    )


def downgrade() -> None:
    op.drop_table("cds_hooks_feedback")
    op.drop_table("cds_hooks_cards")
    op.drop_table("cds_hooks_token_uses")
