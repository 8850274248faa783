"""Virtual clinic sessions and the patients on their lists.

Revision ID: 0004_clinics
Revises: 0003_outbox
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004_clinics"
down_revision: str | None = "0003_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLINIC_STATES = "'open', 'closed'"
_ENTRY_STATES = "'waiting', 'in-progress', 'advised', 'unavailable', 'removed'"
_ACTIVE_PATIENT = sa.text("status <> 'removed'")


def _timestamp(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "clinics",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("specialty", sa.String(64), nullable=False),
        sa.Column("clinic_date", sa.Date(), nullable=False),
        sa.Column("consultant_sub", sa.String(200), nullable=False),
        sa.Column("consultant_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _timestamp("created_at"),
        sa.CheckConstraint(f"status IN ({_CLINIC_STATES})", name="ck_clinics_status"),
    )
    op.create_index("ix_clinics_specialty_date", "clinics", ["specialty", "clinic_date"])

    op.create_table(
        "clinic_entries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("clinic_id", sa.String(32), sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("nhs_number", sa.String(10), nullable=False),
        sa.Column("practice_ods", sa.String(10), nullable=False),
        sa.Column("advice_request_id", sa.String(32), sa.ForeignKey("advice_requests.id"), nullable=True),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        _timestamp("added_at"),
        sa.CheckConstraint(f"status IN ({_ENTRY_STATES})", name="ck_clinic_entries_status"),
        sa.UniqueConstraint("clinic_id", "position", name="uq_clinic_entries_clinic_position"),
    )
    op.create_index("ix_clinic_entries_nhs_number", "clinic_entries", ["nhs_number"])
    op.create_index(
        "uq_clinic_entries_active_patient",
        "clinic_entries",
        ["clinic_id", "nhs_number"],
        unique=True,
        sqlite_where=_ACTIVE_PATIENT,
        postgresql_where=_ACTIVE_PATIENT,
    )


def downgrade() -> None:
    op.drop_index("uq_clinic_entries_active_patient", table_name="clinic_entries")
    op.drop_index("ix_clinic_entries_nhs_number", table_name="clinic_entries")
    op.drop_table("clinic_entries")
    op.drop_index("ix_clinics_specialty_date", table_name="clinics")
    op.drop_table("clinics")
