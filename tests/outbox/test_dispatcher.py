"""The dispatcher delivers due advice, backs off on failure, gives up after the last attempt, and survives the
death of a worker mid-delivery without ever letting a stale worker overwrite a newer outcome."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.metrics import REGISTRY
from app.outbox.claims import LEASE_EXPIRED_ERROR, Claim, claim_due, settle
from app.outbox.dispatcher import Dispatcher, DispatchPolicy
from app.outbox.models import DeliveryState, OutboxMessage
from app.outbox.ports import DeliveryNotConfigured, PracticeDelivery
from schemas.advice import AdviceMessage
from tests.outbox.factories import NHS_NUMBER, Clock, CountingDelivery, FailingDelivery, queue, row

Factory = async_sessionmaker[AsyncSession]
POLICY = DispatchPolicy(
    batch_size=5, lease_seconds=60, max_attempts=3, backoff_base_seconds=10, backoff_cap_seconds=25
)


def dispatcher(
    factory: Factory, delivery: PracticeDelivery, clock: Clock, *, uniform: float = 0.5
) -> Dispatcher:
    return Dispatcher(factory, lambda _ods, _channel: delivery, POLICY, clock=clock, uniform=lambda: uniform)


def _count(channel: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "vclinic_outbox_deliveries_total", {"channel": channel, "outcome": outcome}
    )
    return value or 0.0


async def test_pushed_advice_is_delivered_once_and_counted(factory: Factory) -> None:
    ids = await queue(factory, 2, channel="fhir-r4")
    delivery = CountingDelivery()
    before = _count("fhir-r4", "delivered")
    assert await dispatcher(factory, delivery, Clock()).run_until_idle() == 2
    assert dict(delivery.counts) == dict.fromkeys(ids, 1)
    for message_id in ids:
        delivered = await row(factory, message_id)
        assert (delivered.status, delivered.attempts, delivered.lease_until) == (
            DeliveryState.DELIVERED,
            1,
            None,
        )
    assert _count("fhir-r4", "delivered") == before + 2


async def test_a_mesh_letter_is_sent_and_keeps_its_mesh_message_id(factory: Factory) -> None:
    [message_id] = await queue(factory, channel="mesh")
    await dispatcher(factory, CountingDelivery(external_id="20261122093000_ABC123"), Clock()).run_once()
    sent = await row(factory, message_id)
    assert (sent.status, sent.external_id) == (DeliveryState.SENT, "20261122093000_ABC123")


async def test_a_failure_is_retried_after_a_capped_jittered_backoff(factory: Factory) -> None:
    [message_id] = await queue(factory)
    clock = Clock()
    failing = dispatcher(factory, FailingDelivery(), clock, uniform=0.0)
    await failing.run_once()
    first = await row(factory, message_id)
    assert (first.status, first.attempts) == (DeliveryState.PENDING, 1)
    assert "HTTP 503" in (first.last_error or "")
    assert _utc(first.next_attempt_at) == clock.now + dt.timedelta(seconds=5)
    assert await failing.run_once() == 0, "not due before its backoff ends"
    clock.advance(5)
    await failing.run_once()
    assert _utc((await row(factory, message_id)).next_attempt_at) == clock.now + dt.timedelta(seconds=10)


def test_backoff_doubles_up_to_its_cap_with_half_of_it_random() -> None:
    assert [POLICY.retry_delay(n, lambda: 0.0) for n in (1, 2, 3, 4)] == [5.0, 10.0, 12.5, 12.5]
    assert [POLICY.retry_delay(n, lambda: 1.0) for n in (1, 2, 3, 4)] == [10.0, 20.0, 25.0, 25.0]


async def test_after_the_last_attempt_the_message_is_dead_until_retried(factory: Factory) -> None:
    [message_id] = await queue(factory)
    clock = Clock()
    delivery = FailingDelivery()
    failing = dispatcher(factory, delivery, clock)
    before = _count("fhir-r4", "dead")
    for _ in range(5):
        await failing.run_once()
        clock.advance(3600)
    dead = await row(factory, message_id)
    assert (dead.status, dead.attempts, dead.next_attempt_at) == (DeliveryState.DEAD, 3, None)
    assert delivery.calls == 3
    assert _count("fhir-r4", "dead") == before + 1


async def test_the_recorded_error_never_quotes_an_unexpected_exceptions_text(factory: Factory) -> None:
    class Exploding:
        async def deliver(self, message: AdviceMessage) -> str | None:
            raise ValueError(f"cannot render letter for {message.patient.nhs_number}")

    [message_id] = await queue(factory)
    await dispatcher(factory, Exploding(), Clock()).run_once()
    failed = await row(factory, message_id)
    assert failed.last_error == "unexpected ValueError"
    assert NHS_NUMBER not in (failed.last_error or "")


async def test_a_practice_without_that_delivery_is_retried_with_the_reason(factory: Factory) -> None:
    def unconfigured(ods: str, channel: str) -> PracticeDelivery:
        raise DeliveryNotConfigured(f"practice {ods} has no FHIR endpoint for advice")

    [message_id] = await queue(factory)
    await Dispatcher(factory, unconfigured, POLICY, clock=Clock()).run_once()
    waiting = await row(factory, message_id)
    assert waiting.status == DeliveryState.PENDING
    assert waiting.last_error == "practice A12345 has no FHIR endpoint for advice"


async def test_a_delivery_abandoned_mid_flight_is_claimed_again_when_its_lease_ends(factory: Factory) -> None:
    [message_id] = await queue(factory)
    clock = Clock()
    await _claim_and_die(factory, clock)
    delivery = CountingDelivery()
    survivor = dispatcher(factory, delivery, clock)
    assert await survivor.run_once() == 0, "still leased to the dead worker"
    clock.advance(POLICY.lease_seconds + 1)
    assert await survivor.run_once() == 1
    delivered = await row(factory, message_id)
    assert (delivered.status, delivered.attempts) == (DeliveryState.DELIVERED, 2)
    assert delivery.counts[message_id] == 1


async def test_a_worker_that_lost_its_lease_cannot_overwrite_the_newer_outcome(factory: Factory) -> None:
    [message_id] = await queue(factory)
    clock = Clock()
    stale = await _claim_and_die(factory, clock)
    clock.advance(POLICY.lease_seconds + 1)
    await dispatcher(factory, CountingDelivery(), clock).run_once()
    async with factory() as session, session.begin():
        kept = await settle(
            session, stale, status=DeliveryState.PENDING, now=clock.now, last_error="late failure"
        )
    assert not kept
    assert (await row(factory, message_id)).status == DeliveryState.DELIVERED


async def test_a_message_that_keeps_killing_its_worker_is_given_up(factory: Factory) -> None:
    [message_id] = await queue(factory)
    clock = Clock()
    for _ in range(POLICY.max_attempts):
        await _claim_and_die(factory, clock)
        clock.advance(POLICY.lease_seconds + 1)
    delivery = CountingDelivery()
    assert await dispatcher(factory, delivery, clock).run_once() == 0
    buried = await row(factory, message_id)
    assert (buried.status, buried.last_error) == (DeliveryState.DEAD, LEASE_EXPIRED_ERROR)
    assert not delivery.counts


async def test_feed_messages_are_never_claimed(factory: Factory) -> None:
    await queue(factory, channel="feed")
    assert await dispatcher(factory, CountingDelivery(), Clock()).run_once() == 0


async def _claim_and_die(factory: Factory, clock: Clock) -> Claim:
    """A worker claims one message, commits, and is never heard of again."""
    async with factory() as session, session.begin():
        [claim] = await claim_due(
            session,
            now=clock.now,
            lease=dt.timedelta(seconds=POLICY.lease_seconds),
            limit=1,
            max_attempts=POLICY.max_attempts,
        )
    return claim


def _utc(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def test_a_payload_that_no_longer_reads_fails_only_its_own_delivery(factory: Factory) -> None:
    broken, sound = await queue(factory, 2)
    async with factory() as session, session.begin():
        found = await session.get(OutboxMessage, broken)
        assert found is not None
        found.payload = {"message_id": broken, "patient": {"nhs_number": NHS_NUMBER}}
    delivery = CountingDelivery()
    assert await dispatcher(factory, delivery, Clock()).run_once() == 2
    assert (await row(factory, sound)).status == DeliveryState.DELIVERED
    failed = await row(factory, broken)
    assert (failed.status, failed.last_error) == (DeliveryState.PENDING, "unexpected ValidationError")
    assert list(delivery.counts) == [sound]
