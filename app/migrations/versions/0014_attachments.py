"""Attachments of advice requests: PDF letters and images a practice sends with its question.

Revision ID: 0014_attachments
Revises: 0009_case_finding
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_attachments"
down_revision: str | None = "0013_referrals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advice_attachments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "advice_request_id", sa.String(32), sa.ForeignKey("advice_requests.id"), nullable=False
        ),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_advice_attachments_advice_request_id", "advice_attachments", ["advice_request_id"])


def downgrade() -> None:
    op.drop_table("advice_attachments")
