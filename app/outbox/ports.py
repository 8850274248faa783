"""What the outbox needs from the outside world. Adapters implement these structurally.

The port owns the types it speaks in (``schemas.acknowledgements``, ``schemas.upstream``, where adapters can
reach them too) and declares them here; the outbox imports them from here, never from an adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from schemas.acknowledgements import (
    DeliveryReport,
    InboxItem,
    ItkResponse,
    ResponseVerdict,
    UnreadableResponse,
)
from schemas.advice import AdviceMessage
from schemas.upstream import UpstreamError

__all__ = [
    "DeliveryNotConfigured",
    "DeliveryReport",
    "InboxItem",
    "ItkResponse",
    "MeshInbox",
    "PracticeDelivery",
    "ReceiverNotTried",
    "RecordAcknowledgement",
    "ResponseVerdict",
    "UnreadableResponse",
    "UpstreamError",
]


class PracticeDelivery(Protocol):
    """One way of getting advice into one practice's system.

    ``deliver`` returns the transport's id for the message when it has one (the MESH message id), and raises
    ``UpstreamError`` when the practice's system or the transport failed us: the dispatcher
    tries again later and counts the attempt. It raises ``ReceiverNotTried`` when nothing was sent, because
    the practice's system is known to be down: the dispatcher tries again later without counting it.
    Receivers deduplicate on ``message.message_id``, so delivering twice is harmless.
    """

    async def deliver(self, message: AdviceMessage) -> str | None: ...


class ReceiverNotTried(Exception):
    """The practice's system is unavailable and was not tried (its circuit breaker is open).

    An attempt that never reached the receiver says nothing about the message, so it must not bring the
    message closer to being given up. ``retry_in`` is how many seconds until the receiver may be tried.
    """

    def __init__(self, reason: str, *, retry_in: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_in = retry_in


class DeliveryNotConfigured(Exception):
    """The practice has no delivery of this kind (its settings changed after the advice was queued)."""


ResolveDelivery = Callable[[str, str], PracticeDelivery]
"""``(practice ODS code, channel) → delivery``; raises DeliveryNotConfigured."""


class MeshInbox(Protocol):
    """Our MESH mailbox's inbox: acknowledgements of our letters and MESH's own delivery reports."""

    async def receive(self, limit: int) -> list[InboxItem]: ...

    async def acknowledge(self, mesh_message_id: str) -> None: ...


class RecordAcknowledgement(Protocol):
    """The advice domain's hook for a practice's acknowledgement (``app.advice.service``)."""

    def __call__(
        self,
        session: AsyncSession,
        *,
        advice_request_id: str,
        source: str,
        referral_avoided: bool | None,
        acknowledged_by: str | None,
    ) -> Awaitable[object]: ...
