"""Outbox rows: each advice message on its way to a practice, in the order of the practice feed.

A row is written in the same transaction as the advice it carries, so advice is never given without being
queued for delivery, and never queued without being given.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Index
from sqlmodel import Field, SQLModel


class Channel(StrEnum):
    MESH = "mesh"
    FHIR_R4 = "fhir-r4"
    FEED = "feed"
    # A converted request's referral, as a BaRS message to the referral receiver (``app/referrals``).
    BARS_REFERRAL = "bars-referral"


class DeliveryState(StrEnum):
    """Where a delivery stands.

    ``sent``: MESH took the letter, no acknowledgement yet; ``delivered``: the practice's system has it;
    ``acknowledged``: the practice confirmed it; ``failed``: refused or undeliverable, and ``dead``: out of
    retries; a person must look at both. ``held``: kept, not yet tried, because there is nowhere configured
    to send it (a referral with no ``[referrals]`` endpoint); a dispatcher that has one releases it.
    """

    HELD = "held"
    PENDING = "pending"
    DELIVERING = "delivering"
    SENT = "sent"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    DEAD = "dead"


def _values(kind: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in kind)


def _timestamp(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(DeliveryState)})", name="ck_outbox_messages_status"),
        CheckConstraint(f"channel IN ({_values(Channel)})", name="ck_outbox_messages_channel"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_feed", "practice_ods", "feed_sequence"),
    )

    # The advice message's own id: receivers deduplicate on it, so a redelivery is harmless.
    id: str = Field(primary_key=True, max_length=64)
    # No foreign key to advice_requests: the row carries its own snapshot of the advice and must stay
    # deliverable and auditable whatever later happens to the request.
    advice_request_id: str = Field(max_length=64, index=True)
    practice_ods: str = Field(max_length=10)
    channel: str = Field(max_length=16)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = _timestamp()
    lease_until: datetime | None = _timestamp()
    last_error: str | None = Field(default=None, max_length=500)
    external_id: str | None = Field(default=None, max_length=100, index=True)
    # Its place in the practice feed. Handed out under a lock held until the enqueueing transaction
    # commits (see ``service.enqueue_advice``), so positions become visible in order and a reader paging
    # ``after=<cursor>`` never steps past a row that commits later with a smaller number.
    feed_sequence: int = Field(unique=True)
    created_at: datetime = _timestamp(nullable=False)
    sent_at: datetime | None = _timestamp()
    acknowledged_at: datetime | None = _timestamp()
