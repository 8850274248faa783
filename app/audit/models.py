"""Audit events: append-only rows in one HMAC hash chain, and the chain's signed head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    # A patient's trail is read newest first: this reads it backwards from the newest, with no sort.
    __table_args__ = (Index("ix_audit_events_nhs_number_id", "nhs_number", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=200)
    role: str = Field(max_length=32)
    organisation: str | None = Field(default=None, max_length=32)
    specialty: str | None = Field(default=None, max_length=64)
    nhs_number: str | None = Field(default=None, max_length=10)
    purpose: str = Field(max_length=200)
    action: str = Field(max_length=200)
    outcome: str = Field(max_length=32)
    status: int
    request_id: str = Field(max_length=64)
    break_glass_reason: str | None = Field(default=None, max_length=500)
    previous_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditChainHead(SQLModel, table=True):
    """One row: how long the chain is and its last hash, signed, so deleting the newest events shows."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    length: int = 0
    last_hash: str = Field(max_length=64)
    signature: str | None = Field(default=None, max_length=64)
