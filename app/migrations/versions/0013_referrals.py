"""Conversion to a referral: the practice's authorisation on each request, and referrals in the outbox.

Revision ID: 0013_referrals
Revises: 0009_case_finding
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_referrals"
down_revision: str | None = "0012_follow_up_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = "'pending', 'delivering', 'sent', 'delivered', 'acknowledged', 'failed', 'dead'"
_CHANNELS = "'mesh', 'fhir-r4', 'feed'"
_STATES_WITH_HELD = f"'held', {_STATES}"
_CHANNELS_WITH_REFERRAL = f"{_CHANNELS}, 'bars-referral'"


def _outbox_checks(states: str, channels: str) -> None:
    # SQLite cannot alter a constraint in place; the batch copies the table with the new ones.
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_constraint("ck_outbox_messages_status", type_="check")
        batch.drop_constraint("ck_outbox_messages_channel", type_="check")
        batch.create_check_constraint("ck_outbox_messages_status", f"status IN ({states})")
        batch.create_check_constraint("ck_outbox_messages_channel", f"channel IN ({channels})")


def upgrade() -> None:
    with op.batch_alter_table("advice_requests") as batch:
        batch.add_column(
            sa.Column("authorised_to_convert", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    _outbox_checks(_STATES_WITH_HELD, _CHANNELS_WITH_REFERRAL)


def downgrade() -> None:
    # Referral rows cannot be kept under the old constraints; the advice they carried is in advice_responses.
    op.execute("DELETE FROM outbox_messages WHERE channel = 'bars-referral' OR status = 'held'")
    _outbox_checks(_STATES, _CHANNELS)
    with op.batch_alter_table("advice_requests") as batch:
        batch.drop_column("authorised_to_convert")
