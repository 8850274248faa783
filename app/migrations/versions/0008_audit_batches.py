"""Audit events are sealed in hash-chained batches rather than chained one by one under a global lock.

The head is reset to the start of the batch chain: the sealer's first batch takes in every event written
before, each checked by its own HMAC. Verify the old chain with the previous release before upgrading if its
links are wanted on record (docs/audit-log.md). Downgrading drops the batches; the events written since carry
a salt, not a link, so the old verifier would not accept them.

Revision ID: 0008_audit_batches
Revises: 0007_list_indexes
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_audit_batches"
down_revision: str | None = "0007_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64

_POSTGRES_GUARD = """
CREATE OR REPLACE FUNCTION audit_batches_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_batches is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_batches_no_update BEFORE UPDATE OR DELETE ON audit_batches
    FOR EACH ROW EXECUTE FUNCTION audit_batches_append_only();
CREATE TRIGGER audit_batches_no_truncate BEFORE TRUNCATE ON audit_batches
    FOR EACH STATEMENT EXECUTE FUNCTION audit_batches_append_only();
"""

_SQLITE_GUARD = [
    """CREATE TRIGGER audit_batches_no_update BEFORE UPDATE ON audit_batches
       BEGIN SELECT RAISE(ABORT, 'audit_batches is append-only'); END""",
    """CREATE TRIGGER audit_batches_no_delete BEFORE DELETE ON audit_batches
       BEGIN SELECT RAISE(ABORT, 'audit_batches is append-only'); END""",
]


def upgrade() -> None:
    op.create_table(
        "audit_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("first_event_id", sa.Integer(), nullable=False, unique=True),
        sa.Column("last_event_id", sa.Integer(), nullable=False, unique=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("events_hash", sa.String(64), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_GUARD)
    else:
        for statement in _SQLITE_GUARD:
            op.execute(statement)
    op.execute(
        sa.text(
            "UPDATE audit_chain_head SET length = 0, last_hash = :genesis, signature = NULL WHERE id = 1"
        ).bindparams(genesis=GENESIS_HASH)
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_batches_no_truncate ON audit_batches")
        op.execute("DROP TRIGGER IF EXISTS audit_batches_no_update ON audit_batches")
        op.execute("DROP FUNCTION IF EXISTS audit_batches_append_only()")
    op.drop_table("audit_batches")
