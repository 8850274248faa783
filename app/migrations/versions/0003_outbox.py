"""The transactional outbox of advice deliveries, which also orders each practice's feed.

Revision ID: 0003_outbox
Revises: 0002_advice
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003_outbox"
down_revision: str | None = "0002_advice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = "'pending', 'delivering', 'sent', 'delivered', 'acknowledged', 'failed', 'dead'"
_CHANNELS = "'mesh', 'fhir-r4', 'feed'"


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("advice_request_id", sa.String(64), nullable=False),
        sa.Column("practice_ods", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("next_attempt_at"),
        _timestamp("lease_until"),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("feed_sequence", sa.Integer(), nullable=False, unique=True),
        _timestamp("created_at", nullable=False),
        _timestamp("sent_at"),
        _timestamp("acknowledged_at"),
        sa.CheckConstraint(f"status IN ({_STATES})", name="ck_outbox_messages_status"),
        sa.CheckConstraint(f"channel IN ({_CHANNELS})", name="ck_outbox_messages_channel"),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_messages_feed", "outbox_messages", ["practice_ods", "feed_sequence"])
    op.create_index("ix_outbox_messages_advice_request_id", "outbox_messages", ["advice_request_id"])
    op.create_index("ix_outbox_messages_external_id", "outbox_messages", ["external_id"])


def downgrade() -> None:
    for index in ("external_id", "advice_request_id", "feed", "due"):
        op.drop_index(f"ix_outbox_messages_{index}", table_name="outbox_messages")
    op.drop_table("outbox_messages")
