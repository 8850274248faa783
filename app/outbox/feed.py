"""The practice feed: every advice message for one practice, in the order it was queued, by cursor.

The cursor is opaque to callers (it is the feed position, encoded) so the paging scheme can change without
breaking them; positions only ever grow, and become visible in order (see ``enqueue_advice``).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.cursors import InvalidCursor, decode_position, encode_cursor
from app.outbox.models import Channel, OutboxMessage
from app.outbox.service import as_utc
from schemas.advice import AdviceMessage
from schemas.api.follow_up import OverdueActionNotice
from schemas.api.outbox import FeedItemPublic, FeedPagePublic

_PREFIX = "feed:1:"
ACTION_OVERDUE = "action-overdue"
_LIST_NAME = "this feed"


def encode_feed_cursor(sequence: int) -> str:
    return encode_cursor(f"{_PREFIX}{sequence}")


async def feed_page(
    session: AsyncSession, practice_ods: str, *, after: str | None, limit: int
) -> FeedPagePublic:
    """Up to ``limit`` messages after the cursor; raises InvalidCursor for a cursor this feed never gave."""
    position = decode_position(after, prefix=_PREFIX, list_name=_LIST_NAME) if after else 0
    if position > await _last_position(session):
        raise InvalidCursor(_LIST_NAME)
    rows = list(
        (
            await session.execute(
                select(OutboxMessage)
                .where(
                    col(OutboxMessage.practice_ods) == practice_ods,
                    col(OutboxMessage.feed_sequence) > position,
                    # A referral goes to the referral service, not to the practice.
                    col(OutboxMessage.channel) != Channel.BARS_REFERRAL,
                )
                .order_by(col(OutboxMessage.feed_sequence))
                .limit(limit + 1)
            )
        ).scalars()
    )
    page = rows[:limit]
    items = [_item(row) for row in page]
    next_cursor = encode_feed_cursor(page[-1].feed_sequence) if page else after
    return FeedPagePublic(items=items, next_cursor=next_cursor, has_more=len(rows) > limit)


def _item(row: OutboxMessage) -> FeedItemPublic:
    """An advice message, or another event its payload names (``action-overdue``)."""
    common = {
        "message_id": row.id,
        "advice_request_id": row.advice_request_id,
        "version": int(row.payload.get("version", 1)),
        "event_time": as_utc(row.created_at),
    }
    if row.payload.get("event") == ACTION_OVERDUE:
        return FeedItemPublic(
            **common, event=ACTION_OVERDUE, action=OverdueActionNotice.model_validate(row.payload["action"])
        )
    return FeedItemPublic(**common, advice=AdviceMessage.model_validate(row.payload))


async def _last_position(session: AsyncSession) -> int:
    """The highest position given out to any practice: positions are global, and messages never leave."""
    highest = await session.scalar(select(func.max(col(OutboxMessage.feed_sequence))))
    return int(highest or 0)
