"""Queueing advice for delivery, reading where it stands, and putting stuck deliveries back in the queue.

Services flush; the caller's unit of work commits, so advice and its outbox row commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.outbox.models import Channel, DeliveryState, OutboxMessage
from schemas.advice import AdviceMessage
from schemas.api.outbox import DeliveryStatusPublic, OutboxMessagePublic

# GP Connect Send Document asks that a missing business acknowledgement reach a person. How long to wait is
# ours to choose: 48 hours covers a practice filing a letter the working day after it arrives.
ACK_OVERDUE_AFTER = timedelta(hours=48)

HELD_REASON = "no [referrals] endpoint is configured; held until a worker with one starts"
_STUCK = (DeliveryState.FAILED, DeliveryState.DEAD, DeliveryState.HELD)
_AWAITING_ACK = frozenset({DeliveryState.SENT, DeliveryState.DELIVERED})
# pg_advisory_xact_lock key for the feed's order: any constant no other part of the service uses.
FEED_ORDER_LOCK = 0x5643_4F55_5442_4F58
# The ids of feed events other than advice start with this (advice message ids are bare hex): they are
# notices in the feed, not deliveries of the request's advice.
FEED_EVENT_PREFIX = "event-"


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def enqueue_advice(
    session: AsyncSession, message: AdviceMessage, *, delivery: str, now: datetime | None = None
) -> OutboxMessage:
    """Queues the message for the practice in the caller's transaction; queueing it again is a no-op.

    ``delivery`` is the practice's channel: ``mesh`` and ``fhir-r4`` go to the dispatcher, ``feed`` is
    delivered by becoming visible in the practice's feed. Raises ValueError for an unknown channel.
    """
    channel = Channel(delivery)
    pushed = channel is not Channel.FEED
    return await _enqueue(
        session,
        message_id=message.message_id,
        advice_request_id=message.advice_request_id,
        practice_ods=message.practice_ods,
        channel=channel,
        payload=message.model_dump(mode="json"),
        status=DeliveryState.PENDING if pushed else DeliveryState.DELIVERED,
        now=now or utc_now(),
    )


async def enqueue_referral(
    session: AsyncSession, message: AdviceMessage, *, held: bool, now: datetime | None = None
) -> OutboxMessage:
    """Queues a converted request's referral (``message.message_id`` stable for the request); again, a no-op.

    ``held`` when no referral endpoint is configured: the row is kept, visible and needing attention, and is
    not tried until a dispatcher with an endpoint releases it (``release_held_referrals``).
    """
    return await _enqueue(
        session,
        message_id=message.message_id,
        advice_request_id=message.advice_request_id,
        practice_ods=message.practice_ods,
        channel=Channel.BARS_REFERRAL,
        payload=message.model_dump(mode="json"),
        status=DeliveryState.HELD if held else DeliveryState.PENDING,
        now=now or utc_now(),
    )


async def enqueue_feed_event(
    session: AsyncSession,
    *,
    event_id: str,
    advice_request_id: str,
    practice_ods: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> OutboxMessage:
    """An event other than advice (``payload["event"]`` names it) for the practice's feed, in the caller's
    transaction; the same ``event_id`` again is a no-op, so each event is written once."""
    return await _enqueue(
        session,
        message_id=event_id,
        advice_request_id=advice_request_id,
        practice_ods=practice_ods,
        channel=Channel.FEED,
        payload=payload,
        status=DeliveryState.DELIVERED,
        now=now or utc_now(),
    )


async def _enqueue(
    session: AsyncSession,
    *,
    message_id: str,
    advice_request_id: str,
    practice_ods: str,
    channel: Channel,
    payload: dict[str, Any],
    status: DeliveryState,
    now: datetime,
) -> OutboxMessage:
    existing = await session.get(OutboxMessage, message_id)
    if existing is not None:
        return existing
    due = status is DeliveryState.PENDING
    await _hold_feed_order(session)
    await session.execute(
        insert(OutboxMessage).values(
            id=message_id,
            advice_request_id=advice_request_id,
            practice_ods=practice_ods,
            channel=channel.value,
            payload=payload,
            status=status,
            attempts=0,
            next_attempt_at=now if due else None,
            last_error=HELD_REASON if status is DeliveryState.HELD else None,
            # Computed inside the INSERT, so on SQLite it is read under the write lock the INSERT takes.
            feed_sequence=_next_feed_position(),
            created_at=now,
            sent_at=now if status is DeliveryState.DELIVERED else None,
        )
    )
    row = await session.get(OutboxMessage, message_id)
    assert row is not None
    return row


async def release_held_referrals(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Puts every held referral in the queue; for a dispatcher that has a referral endpoint to send to."""
    held = (col(OutboxMessage.status) == DeliveryState.HELD) & (
        col(OutboxMessage.channel) == Channel.BARS_REFERRAL
    )
    # A read first, so that an idle start never takes SQLite's single write lock.
    if (await session.execute(select(col(OutboxMessage.id)).where(held).limit(1))).first() is None:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(held)
        .values(status=DeliveryState.PENDING, next_attempt_at=now or utc_now(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count


def _next_feed_position() -> ScalarSelect[int]:
    return select(func.coalesce(func.max(col(OutboxMessage.feed_sequence)), 0) + 1).scalar_subquery()


async def _hold_feed_order(session: AsyncSession) -> None:
    """On PostgreSQL, serialises enqueueing transactions from here to their commit.

    Positions are then handed out in commit order, which cursor paging needs. SQLite needs nothing: it has
    one writer at a time, from its first write to its commit.
    """
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(FEED_ORDER_LOCK)))


async def delivery_status_for(
    session: AsyncSession, advice_request_id: str, *, now: datetime | None = None
) -> list[DeliveryStatusPublic]:
    """Every message sent for the request, oldest first, with where its delivery stands."""
    rows = (
        await session.execute(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.advice_request_id) == advice_request_id,
                col(OutboxMessage.id).not_like(f"{FEED_EVENT_PREFIX}%"),
            )
            .order_by(col(OutboxMessage.feed_sequence))
        )
    ).scalars()
    moment = now or utc_now()
    return [delivery_status(row, now=moment) for row in rows]


def delivery_status(row: OutboxMessage, *, now: datetime) -> DeliveryStatusPublic:
    return DeliveryStatusPublic.model_validate(
        {
            "message_id": row.id,
            "version": row.payload.get("version", 1),
            "channel": row.channel,
            "status": row.status,
            "attempts": row.attempts,
            "next_attempt_at": _optional_utc(row.next_attempt_at),
            "last_error": row.last_error,
            "external_id": row.external_id,
            "created_at": as_utc(row.created_at),
            "sent_at": _optional_utc(row.sent_at),
            "acknowledged_at": _optional_utc(row.acknowledged_at),
            "needs_attention": needs_attention(row, now=now),
        }
    )


async def messages_needing_attention(
    session: AsyncSession, *, channel: str | None, limit: int, now: datetime | None = None
) -> tuple[list[OutboxMessagePublic], bool]:
    """Failed, dead and held deliveries (referrals included), oldest first, and whether there are more.

    Overdue MESH acknowledgements also need attention but show on their requests; this is the list of
    deliveries that will not go anywhere until someone acts.
    """
    query = (
        select(OutboxMessage)
        .where(col(OutboxMessage.status).in_(_STUCK))
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
        .limit(limit + 1)
    )
    if channel is not None:
        query = query.where(col(OutboxMessage.channel) == channel)
    rows = list((await session.execute(query)).scalars())
    moment = now or utc_now()
    items = [
        OutboxMessagePublic(
            **delivery_status(row, now=moment).model_dump(),
            advice_request_id=row.advice_request_id,
            practice_ods=row.practice_ods,
        )
        for row in rows[:limit]
    ]
    return items, len(rows) > limit


def needs_attention(row: OutboxMessage, *, now: datetime) -> bool:
    if row.status in _STUCK:
        return True
    if row.channel != Channel.MESH or row.status not in _AWAITING_ACK or row.sent_at is None:
        return False
    return now - as_utc(row.sent_at) > ACK_OVERDUE_AFTER


def _optional_utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


async def retry_messages(
    session: AsyncSession,
    *,
    message_ids: Sequence[str] = (),
    all_dead: bool = False,
    now: datetime | None = None,
) -> int:
    """Puts the named failed or dead messages (or every dead one) back in the queue with fresh attempts."""
    conditions: list[ColumnElement[bool]] = []
    if message_ids:
        conditions.append(
            col(OutboxMessage.id).in_(message_ids)
            & col(OutboxMessage.status).in_([DeliveryState.FAILED, DeliveryState.DEAD])
        )
    if all_dead:
        conditions.append(col(OutboxMessage.status) == DeliveryState.DEAD)
    if not conditions:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(or_(*conditions), col(OutboxMessage.channel) != Channel.FEED)
        .values(status=DeliveryState.PENDING, attempts=0, next_attempt_at=now or utc_now(), lease_until=None)
        .execution_options(synchronize_session=False)
    )
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count
