"""Indexes for every list the API pages through, each ending in the list's order so a page needs no sort.

The single-column indexes these begin with are dropped: the composite ones serve their lookups too, and every
index is one more write on an insert.

Revision ID: 0007_list_indexes
Revises: 0006_audit_access_basis
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_list_indexes"
down_revision: str | None = "0006_audit_access_basis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADDED = (
    ("ix_advice_requests_specialty_created", "advice_requests", ["specialty", "created_at", "id"]),
    (
        "ix_advice_requests_specialty_status_created",
        "advice_requests",
        ["specialty", "status", "created_at", "id"],
    ),
    ("ix_advice_requests_practice_created", "advice_requests", ["practice_ods", "created_at", "id"]),
    ("ix_advice_requests_created", "advice_requests", ["created_at", "id"]),
    ("ix_clinics_specialty_date_created", "clinics", ["specialty", "clinic_date", "created_at"]),
    ("ix_clinics_date_created", "clinics", ["clinic_date", "created_at"]),
    ("ix_audit_events_nhs_number_id", "audit_events", ["nhs_number", "id"]),
)
_REPLACED = (
    ("ix_advice_requests_specialty", "advice_requests", ["specialty"]),
    ("ix_advice_requests_practice_ods", "advice_requests", ["practice_ods"]),
    ("ix_clinics_specialty_date", "clinics", ["specialty", "clinic_date"]),
    ("ix_audit_events_nhs_number", "audit_events", ["nhs_number"]),
)


def upgrade() -> None:
    for name, table, columns in _ADDED:
        op.create_index(name, table, columns)
    for name, table, _ in _REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in _REPLACED:
        op.create_index(name, table, columns)
    for name, table, _ in _ADDED:
        op.drop_index(name, table_name=table)
