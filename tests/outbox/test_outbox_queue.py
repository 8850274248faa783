"""Advice is queued with the transaction that gives it, once, and its delivery status can be read back."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.outbox.models import DeliveryState, OutboxMessage
from app.outbox.service import delivery_status_for, enqueue_advice, retry_messages
from tests.outbox.factories import GIVEN_AT, advice_message, queue, row

Factory = async_sessionmaker[AsyncSession]


async def test_pushed_advice_is_pending_and_due_at_once(factory: Factory) -> None:
    [message_id] = await queue(factory, channel="fhir-r4")
    queued = await row(factory, message_id)
    assert queued.status == DeliveryState.PENDING
    assert queued.attempts == 0
    assert queued.next_attempt_at is not None
    assert queued.next_attempt_at.replace(tzinfo=dt.UTC) == GIVEN_AT


async def test_feed_advice_is_delivered_by_being_queued(factory: Factory) -> None:
    [message_id] = await queue(factory, channel="feed")
    queued = await row(factory, message_id)
    assert queued.status == DeliveryState.DELIVERED
    assert queued.next_attempt_at is None
    assert queued.sent_at is not None


async def test_queueing_the_same_message_twice_keeps_one_row(factory: Factory) -> None:
    message = advice_message()
    async with factory() as session, session.begin():
        first = await enqueue_advice(session, message, delivery="mesh")
        again = await enqueue_advice(session, message, delivery="mesh")
    assert again.feed_sequence == first.feed_sequence
    async with factory() as session:
        statuses = await delivery_status_for(session, message.advice_request_id)
    assert len(statuses) == 1


async def test_an_unknown_channel_is_refused(factory: Factory) -> None:
    async with factory() as session:
        with pytest.raises(ValueError, match="carrier-pigeon"):
            await enqueue_advice(session, advice_message(), delivery="carrier-pigeon")


async def test_advice_rolled_back_leaves_nothing_queued(factory: Factory) -> None:
    message = advice_message()
    async with factory() as session:
        await enqueue_advice(session, message, delivery="fhir-r4")
        await session.rollback()
    async with factory() as session:
        assert await session.get(OutboxMessage, message.message_id) is None


async def test_feed_positions_follow_the_order_of_queueing(factory: Factory) -> None:
    ids = await queue(factory, 3, channel="feed") + await queue(factory, 2, channel="mesh")
    positions = [(await row(factory, message_id)).feed_sequence for message_id in ids]
    assert positions == sorted(positions)
    assert len(set(positions)) == 5


async def test_status_lists_every_version_of_a_requests_advice(factory: Factory) -> None:
    first = advice_message()
    second = advice_message(advice_request_id=first.advice_request_id, version=2)
    async with factory() as session, session.begin():
        await enqueue_advice(session, first, delivery="fhir-r4", now=GIVEN_AT)
        await enqueue_advice(session, second, delivery="fhir-r4", now=GIVEN_AT)
    async with factory() as session:
        statuses = await delivery_status_for(session, first.advice_request_id)
    assert [(s.message_id, s.version, s.status) for s in statuses] == [
        (first.message_id, 1, "pending"),
        (second.message_id, 2, "pending"),
    ]
    assert statuses[0].created_at == GIVEN_AT
    assert not statuses[0].needs_attention


async def test_a_letter_unacknowledged_for_two_days_needs_a_person(factory: Factory) -> None:
    message = advice_message()
    async with factory() as session, session.begin():
        queued = await enqueue_advice(session, message, delivery="mesh", now=GIVEN_AT)
        queued.status = DeliveryState.SENT
        queued.sent_at = GIVEN_AT
    async with factory() as session:
        next_day = await delivery_status_for(
            session, message.advice_request_id, now=GIVEN_AT + dt.timedelta(days=1)
        )
        later = await delivery_status_for(
            session, message.advice_request_id, now=GIVEN_AT + dt.timedelta(days=3)
        )
    assert not next_day[0].needs_attention
    assert later[0].needs_attention


async def test_retry_queues_named_and_dead_messages_again(factory: Factory) -> None:
    dead, failed, delivered = await queue(factory, 3)
    async with factory() as session, session.begin():
        for message_id, state in ((dead, DeliveryState.DEAD), (failed, DeliveryState.FAILED)):
            found = await session.get(OutboxMessage, message_id)
            assert found is not None
            found.status, found.attempts, found.last_error = state, 8, "HTTP 503"
        done = await session.get(OutboxMessage, delivered)
        assert done is not None
        done.status = DeliveryState.DELIVERED
    later = GIVEN_AT + dt.timedelta(hours=5)
    async with factory() as session, session.begin():
        assert await retry_messages(session, all_dead=True, now=later) == 1
        assert await retry_messages(session, message_ids=[failed, delivered], now=later) == 1
    for message_id in (dead, failed):
        again = await row(factory, message_id)
        assert (again.status, again.attempts) == (DeliveryState.PENDING, 0)
        assert again.next_attempt_at is not None
    assert (await row(factory, delivered)).status == DeliveryState.DELIVERED


async def test_a_second_enqueue_waits_for_the_first_to_commit_so_positions_appear_in_order(
    factory: Factory,
) -> None:
    """A feed reader past position n must never later find a row at n or below: positions follow commits."""

    async def enqueue_and_commit() -> OutboxMessage:
        async with factory() as session, session.begin():
            return await enqueue_advice(session, advice_message(), delivery="feed")

    async with factory() as holder:
        held = await enqueue_advice(holder, advice_message(), delivery="feed")
        waiting = asyncio.create_task(enqueue_and_commit())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second enqueue waits while the first is uncommitted"
        await holder.commit()
    later = await asyncio.wait_for(waiting, timeout=10)
    assert later.feed_sequence > held.feed_sequence
