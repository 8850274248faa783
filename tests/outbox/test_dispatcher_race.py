"""Two dispatchers, each on its own engine as two processes would be, share one queue: no message twice."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select
from sqlmodel import col

from app.outbox.dispatcher import Dispatcher, DispatchPolicy
from app.outbox.models import DeliveryState, OutboxMessage
from tests.outbox.factories import CountingDelivery, queue, sessions

MESSAGES = 50


async def test_two_dispatchers_racing_deliver_every_message_exactly_once(database_url: str) -> None:
    policy = DispatchPolicy(batch_size=4, lease_seconds=60)
    async with sessions(database_url) as first, sessions(database_url) as second:
        ids = await queue(first, MESSAGES)
        deliveries = [CountingDelivery(pause=0.01), CountingDelivery(pause=0.01)]
        dispatchers = [
            Dispatcher(factory, lambda _ods, _channel, d=delivery: d, policy)
            for factory, delivery in zip((first, second), deliveries, strict=True)
        ]
        claimed = await asyncio.wait_for(
            asyncio.gather(*(dispatcher.run_until_idle(max_batches=50) for dispatcher in dispatchers)),
            timeout=30,
        )
        async with first() as session:
            states = dict(
                (
                    await session.execute(
                        select(col(OutboxMessage.status), func.count()).group_by(col(OutboxMessage.status))
                    )
                ).all()
            )
    total = Counter[str]()
    for delivery in deliveries:
        total.update(delivery.counts)
    assert sum(claimed) == MESSAGES
    assert total == Counter(dict.fromkeys(ids, 1))
    assert states == {DeliveryState.DELIVERED.value: MESSAGES}
    assert all(delivery.counts for delivery in deliveries), "both dispatchers took a share"
