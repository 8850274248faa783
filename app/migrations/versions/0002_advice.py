"""Advice requests, their conversation and responses, and the idempotency keys of writes.

Revision ID: 0002_advice
Revises: 0001_audit
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002_advice"
down_revision: str | None = "0001_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "advice_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("practice_ods", sa.String(10), nullable=False),
        sa.Column("specialty", sa.String(64), nullable=False),
        sa.Column("question", sa.String(4000), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("advice_given_at", nullable=True),
        _timestamp("closed_at", nullable=True),
        _timestamp("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("acknowledgement_source", sa.String(32), nullable=True),
        sa.Column("referral_avoided", sa.Boolean(), nullable=True),
    )
    for column in ("nhs_number", "practice_ods", "specialty", "status"):
        op.create_index(f"ix_advice_requests_{column}", "advice_requests", [column])

    op.create_table(
        "advice_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("advice_request_id", sa.String(32), sa.ForeignKey("advice_requests.id"), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("author_role", sa.String(32), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=True),
        sa.Column("body", sa.String(4000), nullable=False),
        _timestamp("created_at"),
    )
    op.create_index("ix_advice_messages_advice_request_id", "advice_messages", ["advice_request_id"])

    op.create_table(
        "advice_responses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("advice_request_id", sa.String(32), sa.ForeignKey("advice_requests.id"), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=False),
        sa.Column("recommendation", sa.String(64), nullable=False),
        sa.Column("advice", sa.String(8000), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("consultant", sa.String(200), nullable=False),
        sa.Column("consultant_name", sa.String(200), nullable=True),
        sa.Column("message_id", sa.String(32), nullable=False, unique=True),
        sa.Column("message_version", sa.Integer(), nullable=False),
        _timestamp("created_at"),
    )
    op.create_index("ix_advice_responses_advice_request_id", "advice_responses", ["advice_request_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("route", sa.String(300), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("response_headers", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        sa.UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_advice_responses_advice_request_id", table_name="advice_responses")
    op.drop_table("advice_responses")
    op.drop_index("ix_advice_messages_advice_request_id", table_name="advice_messages")
    op.drop_table("advice_messages")
    for column in ("status", "specialty", "practice_ods", "nhs_number"):
        op.drop_index(f"ix_advice_requests_{column}", table_name="advice_requests")
    op.drop_table("advice_requests")
