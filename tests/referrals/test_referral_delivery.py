"""A converted request's referral reaches the receiver exactly once, through the outbox, whatever the receiver
does: failures are retried with backoff, redeliveries absorbed, and a receiver that never answers leaves the
referral dead for a person to look at. With no endpoint configured the referral is held, not lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.outbox.dispatcher import Dispatcher, DispatchPolicy
from app.outbox.models import Channel, DeliveryState, OutboxMessage
from app.outbox.service import delivery_status_for
from app.outbox.wiring import PracticeDeliveries
from app.records.practices import ReferralsConfig
from app.referrals.service import hand_on_referral, referral_message_id
from tests.outbox.factories import Clock, advice_message, row

Factory = async_sessionmaker[AsyncSession]
POLICY = DispatchPolicy(
    batch_size=5, lease_seconds=60, max_attempts=3, backoff_base_seconds=10, backoff_cap_seconds=25
)


async def _convert(factory: Factory, *, endpoint_configured: bool = True) -> str:
    """A converted request's referral queued as the conversion queues it; returns the outbox row's id."""
    message = advice_message(outcome="converted-to-referral", recommendation="referral-recommended")
    async with factory() as session, session.begin():
        queued = await hand_on_referral(session, message, endpoint_configured=endpoint_configured)
    assert queued.id == referral_message_id(message.advice_request_id)
    return queued.id


def _deliveries(receiver_url: str | None, *, timeout: float = 5.0) -> PracticeDeliveries:
    referrals = ReferralsConfig(
        endpoint=receiver_url, target_identifier="2000070001", timeout_seconds=timeout
    )
    return PracticeDeliveries({}, None, timeout_seconds=10.0, referrals=referrals)


def _dispatcher(factory: Factory, deliveries: PracticeDeliveries, clock: Clock) -> Dispatcher:
    return Dispatcher(
        factory,
        deliveries.resolve,
        POLICY,
        clock=clock,
        uniform=lambda: 0.0,
        release_held_referrals=deliveries.has_referral_endpoint,
    )


def _now() -> Clock:
    """A hand-moved clock from now, when the conversion queued its referral."""
    return Clock(dt.datetime.now(dt.UTC))


def _faults(receiver_url: str, **faults: Any) -> None:
    response = httpx.post(f"{receiver_url}/_faults", json={"resource_types": ["Bundle"], **faults})
    assert response.status_code == 200, response.text


def _received(receiver_url: str) -> dict[str, Any]:
    received: dict[str, Any] = httpx.get(f"{receiver_url}/_referrals").json()
    return received


async def _deliver_until_settled(dispatcher: Dispatcher, clock: Clock, rounds: int = 5) -> None:
    for _ in range(rounds):
        await dispatcher.run_until_idle(max_batches=3)
        clock.advance(60)


async def test_the_bundle_reaches_the_receiver_exactly_once_though_the_first_two_attempts_fail(
    factory: Factory, receiver_url: str
) -> None:
    referral_id = await _convert(factory)
    _faults(receiver_url, error_count=2, error_status=500)
    deliveries = _deliveries(receiver_url)
    clock = _now()
    try:
        await _deliver_until_settled(_dispatcher(factory, deliveries, clock), clock)
    finally:
        await deliveries.aclose()

    delivered = await row(factory, referral_id)
    assert (delivered.status, delivered.attempts, delivered.channel) == (
        DeliveryState.DELIVERED,
        3,
        Channel.BARS_REFERRAL,
    )
    received = _received(receiver_url)
    assert (received["posts"], len(received["processed"])) == (1, 1)
    [bundle] = received["processed"]
    Bundle.model_validate(bundle)
    assert delivered.external_id == bundle["id"]
    assert received["headers"][0]["x-correlation-id"] == bundle["id"]


async def test_a_redelivered_referral_is_absorbed_by_the_receiver(
    factory: Factory, receiver_url: str
) -> None:
    referral_id = await _convert(factory)
    deliveries = _deliveries(receiver_url)
    clock = _now()
    dispatcher = _dispatcher(factory, deliveries, clock)
    try:
        await dispatcher.run_until_idle()
        # As when a worker's lease ran out after it had sent the message but before it recorded that.
        async with factory() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == referral_id)  # type: ignore[arg-type]
                .values(status=DeliveryState.PENDING, next_attempt_at=clock.now)
            )
        await dispatcher.run_until_idle()
    finally:
        await deliveries.aclose()
    received = _received(receiver_url)
    assert received["posts"] == 2, "the receiver was sent the message twice"
    assert len(received["processed"]) == 1, "and acted on it once"
    assert (await row(factory, referral_id)).status == DeliveryState.DELIVERED


@pytest.mark.parametrize("status", [500, 400])
async def test_a_receiver_that_keeps_failing_leaves_the_referral_dead_after_the_last_attempt(
    factory: Factory, receiver_url: str, status: int
) -> None:
    referral_id = await _convert(factory)
    _faults(receiver_url, error_count=10, error_status=status)
    deliveries = _deliveries(receiver_url)
    clock = _now()
    try:
        await _deliver_until_settled(_dispatcher(factory, deliveries, clock), clock)
    finally:
        await deliveries.aclose()
    dead = await row(factory, referral_id)
    assert (dead.status, dead.attempts) == (DeliveryState.DEAD, POLICY.max_attempts)
    assert f"HTTP {status}" in (dead.last_error or "")
    assert _received(receiver_url)["processed"] == []
    async with factory() as session:
        [status_shown] = await delivery_status_for(session, dead.advice_request_id)
    assert (status_shown.channel, status_shown.status, status_shown.needs_attention) == (
        "bars-referral",
        "dead",
        True,
    )


async def test_a_receiver_too_slow_to_answer_is_tried_again_and_acts_once(
    factory: Factory, receiver_url: str
) -> None:
    referral_id = await _convert(factory)
    _faults(receiver_url, latency_ms=600)
    deliveries = _deliveries(receiver_url, timeout=0.2)
    clock = _now()
    dispatcher = _dispatcher(factory, deliveries, clock)
    try:
        await dispatcher.run_once()
        timed_out = await row(factory, referral_id)
        assert (timed_out.status, timed_out.attempts) == (DeliveryState.PENDING, 1)
        _faults(receiver_url)
        clock.advance(60)
        await dispatcher.run_until_idle()
    finally:
        await deliveries.aclose()
    assert (await row(factory, referral_id)).status == DeliveryState.DELIVERED
    assert len(_received(receiver_url)["processed"]) == 1


async def test_with_no_endpoint_the_referral_is_held_visibly_until_a_worker_with_one_starts(
    factory: Factory, receiver_url: str
) -> None:
    referral_id = await _convert(factory, endpoint_configured=False)
    held = await row(factory, referral_id)
    assert (held.status, held.next_attempt_at) == (DeliveryState.HELD, None)
    async with factory() as session:
        [shown] = await delivery_status_for(session, held.advice_request_id)
    assert (shown.status, shown.needs_attention) == ("held", True)
    assert "[referrals]" in (shown.last_error or "")

    clock = _now()
    unconfigured = _deliveries(None)
    assert await _dispatcher(factory, unconfigured, clock).run_until_idle() == 0
    assert (await row(factory, referral_id)).status == DeliveryState.HELD

    configured = _deliveries(receiver_url)
    try:
        assert await _dispatcher(factory, configured, clock).run_until_idle() == 1
    finally:
        await configured.aclose()
    assert (await row(factory, referral_id)).status == DeliveryState.DELIVERED
    assert len(_received(receiver_url)["processed"]) == 1


async def test_handing_on_the_same_conversion_again_queues_nothing_more(factory: Factory) -> None:
    message = advice_message(outcome="converted-to-referral", recommendation="referral-recommended")
    async with factory() as session, session.begin():
        first = await hand_on_referral(session, message, endpoint_configured=True)
    async with factory() as session, session.begin():
        again = await hand_on_referral(session, message.model_copy(), endpoint_configured=True)
        rows = await delivery_status_for(session, message.advice_request_id)
    assert first.id == again.id
    assert len(rows) == 1
