"""Patient registrations kept in the database, for the registry directory.

Revision ID: 0005_registry
Revises: 0004_clinics
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_registry"
down_revision: str | None = "0004_clinics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patient_registrations",
        sa.Column("nhs_number", sa.String(10), primary_key=True),
        sa.Column("practice_ods", sa.String(10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_patient_registrations_practice_ods", "patient_registrations", ["practice_ods"])


def downgrade() -> None:
    op.drop_index("ix_patient_registrations_practice_ods", table_name="patient_registrations")
    op.drop_table("patient_registrations")
