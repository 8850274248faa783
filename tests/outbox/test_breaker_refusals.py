"""A practice system that goes down and comes back gets its advice: tries its breaker refused never count."""

from __future__ import annotations

import datetime as dt

import httpx
import respx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.http import CircuitBreaker
from app.outbox.dispatcher import Dispatcher, DispatchPolicy
from app.outbox.models import DeliveryState
from app.outbox.wiring import PracticeDeliveries
from app.records.practices import PracticeConfig
from tests.outbox.factories import Clock, queue, row

Factory = async_sessionmaker[AsyncSession]
FHIR = "http://127.0.0.1:9/fhir"
PRACTICES = {
    "A12345": PracticeConfig(name="Mile End Surgery", adapter="fhir-r4", base_url=FHIR, delivery="fhir-r4")
}


class RecoveringReceiver:
    """Answers 500 to its first ``failures`` Communications, then takes every one."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.communications = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.communications += 1
        if self.communications <= self.failures:
            return httpx.Response(500)
        return httpx.Response(201, json={"resourceType": "Communication"})


class SharedClock(Clock):
    """The outbox's wall clock and the breaker's monotonic clock, moved together."""

    def monotonic(self) -> float:
        return (self.now - dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).total_seconds()


async def test_advice_outlasts_an_open_breaker_and_only_real_tries_are_counted(factory: Factory) -> None:
    [message_id] = await queue(factory)
    clock = SharedClock()
    receiver = RecoveringReceiver(failures=2)
    deliveries = PracticeDeliveries(
        PRACTICES,
        None,
        timeout_seconds=5,
        breaker=lambda: CircuitBreaker(failure_threshold=2, reset_after=120, clock=clock.monotonic),
    )
    policy = DispatchPolicy(max_attempts=3, backoff_base_seconds=10, backoff_cap_seconds=10)
    dispatcher = Dispatcher(factory, deliveries.resolve, policy, clock=clock, uniform=lambda: 0.0)
    claims = 0
    with respx.mock(assert_all_called=False) as upstream:
        upstream.post(f"{FHIR}/Communication").mock(side_effect=receiver)
        upstream.put(url__startswith=f"{FHIR}/Task/").respond(200, json={"resourceType": "Task"})
        for _ in range(40):
            claims += await dispatcher.run_until_idle(max_batches=5)
            if (await row(factory, message_id)).status == DeliveryState.DELIVERED:
                break
            clock.advance(10)
    await deliveries.aclose()
    delivered = await row(factory, message_id)
    assert delivered.status == DeliveryState.DELIVERED, delivered.last_error
    assert receiver.communications == 3, "two failures opened the breaker; its trial then got through"
    assert delivered.attempts == receiver.communications
    assert claims > delivered.attempts, "the breaker refused some claims, and none of them counted"


async def test_a_claim_the_breaker_refused_waits_for_its_trial_uncounted(factory: Factory) -> None:
    [message_id] = await queue(factory)
    clock = SharedClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=90, clock=clock.monotonic)
    breaker.record_failure()
    deliveries = PracticeDeliveries(PRACTICES, None, timeout_seconds=5, breaker=lambda: breaker)
    dispatcher = Dispatcher(factory, deliveries.resolve, DispatchPolicy(max_attempts=1), clock=clock)
    clock.advance(30)
    with respx.mock(assert_all_mocked=True):
        await dispatcher.run_once()
    await deliveries.aclose()
    waiting = await row(factory, message_id)
    assert (waiting.status, waiting.attempts) == (DeliveryState.PENDING, 0)
    assert "not trying" in (waiting.last_error or "")
    assert waiting.next_attempt_at is not None
    assert waiting.next_attempt_at.replace(tzinfo=dt.UTC) == clock.now + dt.timedelta(seconds=60)
