"""The practice feed: every advice message for one practice, in the order it was queued, by cursor.

The cursor is opaque to callers (it is the feed position, encoded) so the paging scheme can change without
breaking them; positions only ever grow, and become visible in order (see ``enqueue_advice``).
"""

from __future__ import annotations

import base64

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.outbox.models import OutboxMessage
from app.outbox.service import as_utc
from schemas.advice import AdviceMessage
from schemas.api.outbox import FeedItemPublic, FeedPagePublic

_PREFIX = "feed:1:"


class InvalidCursor(ValueError):
    pass


def encode_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{sequence}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII input all derive from it
        raise InvalidCursor(cursor) from None
    position = text.removeprefix(_PREFIX)
    if position == text or not (position.isascii() and position.isdigit()):
        raise InvalidCursor(cursor)
    return int(position)


async def feed_page(
    session: AsyncSession, practice_ods: str, *, after: str | None, limit: int
) -> FeedPagePublic:
    """Up to ``limit`` messages after the cursor; raises InvalidCursor for a cursor this feed never gave."""
    position = decode_cursor(after) if after else 0
    rows = list(
        (
            await session.execute(
                select(OutboxMessage)
                .where(
                    col(OutboxMessage.practice_ods) == practice_ods,
                    col(OutboxMessage.feed_sequence) > position,
                )
                .order_by(col(OutboxMessage.feed_sequence))
                .limit(limit + 1)
            )
        ).scalars()
    )
    page = rows[:limit]
    items = [
        FeedItemPublic(
            message_id=row.id,
            advice_request_id=row.advice_request_id,
            version=int(row.payload.get("version", 1)),
            event_time=as_utc(row.created_at),
            advice=AdviceMessage.model_validate(row.payload),
        )
        for row in page
    ]
    next_cursor = encode_cursor(page[-1].feed_sequence) if page else after
    return FeedPagePublic(items=items, next_cursor=next_cursor, has_more=len(rows) > limit)
