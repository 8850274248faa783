"""API models of advice delivery: where each message stands, and the practice's feed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from schemas.advice import AdviceMessage
from schemas.api.follow_up import OverdueActionNotice

FeedEvent = Literal["advice", "action-overdue"]
DeliveryChannel = Literal["mesh", "fhir-r4", "feed", "bars-referral"]
DeliveryStatus = Literal[
    "held", "pending", "delivering", "sent", "delivered", "acknowledged", "failed", "dead"
]


class DeliveryStatusPublic(BaseModel):
    message_id: str
    version: int
    channel: DeliveryChannel
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None = Field(description="Why the last attempt failed; never holds patient data")
    external_id: str | None = Field(description="The transport's id for the message (MESH message id)")
    created_at: datetime
    sent_at: datetime | None
    acknowledged_at: datetime | None
    needs_attention: bool = Field(
        description="Failed, out of retries, or unacknowledged long after it was sent: a person must look"
    )


class OutboxMessagePublic(DeliveryStatusPublic):
    """A delivery as operators see it: which request and practice it belongs to, and where it stands."""

    advice_request_id: str
    practice_ods: str


class OutboxAttentionPublic(BaseModel):
    items: list[OutboxMessagePublic] = Field(description="Oldest first")
    has_more: bool


class FeedItemPublic(BaseModel):
    message_id: str = Field(description="Stable across redeliveries: deduplicate on it")
    event: FeedEvent = Field(
        default="advice",
        description="`advice`: the consultant's advice, in `advice`; `action-overdue`: a follow-up action "
        "passed its due date while still open, in `action` (once per action)",
    )
    advice_request_id: str
    version: int
    event_time: datetime = Field(description="When the event was queued for the practice")
    advice: AdviceMessage | None = Field(default=None, description="The advice, for an `advice` event")
    action: OverdueActionNotice | None = Field(
        default=None, description="The overdue action, for an `action-overdue` event"
    )


class FeedPagePublic(BaseModel):
    items: list[FeedItemPublic]
    next_cursor: str | None = Field(
        description="Pass as `after` to read on; the same cursor again when there is nothing newer yet"
    )
    has_more: bool
