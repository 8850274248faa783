"""The dispatcher: claims due advice messages, delivers them by their channel, records what happened.

Delivery is at least once. A worker that dies mid-delivery leaves its rows leased; when the lease runs out
another worker delivers them again, and the receiver deduplicates on the message id. Failures wait a capped,
jittered, exponentially growing time before the next attempt, and after ``max_attempts`` the message is
``dead`` until someone runs ``vclinic outbox retry``. Only attempts that reached the receiver count: one
refused because the practice's system is known to be down waits until it may be tried, uncounted.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.outbox.claims import Claim, claim_due, release, settle
from app.outbox.metrics import DELIVERIES
from app.outbox.models import Channel, DeliveryState
from app.outbox.ports import DeliveryNotConfigured, ReceiverNotTried, ResolveDelivery, UpstreamError
from app.outbox.service import release_held_referrals, utc_now
from schemas.advice import AdviceMessage

log = logging.getLogger("vclinic.outbox")

# What a successful delivery means on each channel: MESH has only accepted the letter (acknowledgements
# follow); a practice's FHIR server, or a referral receiver's $process-message, that answered 2xx has it.
_DELIVERED_STATE = {
    Channel.MESH: DeliveryState.SENT,
    Channel.FHIR_R4: DeliveryState.DELIVERED,
    Channel.BARS_REFERRAL: DeliveryState.DELIVERED,
}


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    batch_size: int = 10
    lease_seconds: float = 120.0
    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 1800.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchPolicy:
        return cls(
            batch_size=settings.outbox_batch_size,
            lease_seconds=settings.outbox_lease_seconds,
            max_attempts=settings.outbox_max_attempts,
            backoff_base_seconds=settings.outbox_backoff_base_seconds,
            backoff_cap_seconds=settings.outbox_backoff_cap_seconds,
        )

    def retry_delay(self, attempt: int, uniform: Callable[[], float] = random.random) -> float:
        """Seconds before the attempt after ``attempt`` (1 for the first failure): "equal jitter".

        Half the capped exponential delay is fixed and half random, so a practice system that is down is
        never retried at once, and the many messages queued for it do not all come back in step.
        """
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2.0 ** (attempt - 1))
        return ceiling / 2 + ceiling / 2 * uniform()


class Dispatcher:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        resolve: ResolveDelivery,
        policy: DispatchPolicy = DispatchPolicy(),
        *,
        clock: Callable[[], datetime] = utc_now,
        uniform: Callable[[], float] = random.random,
        release_held_referrals: bool = False,
    ) -> None:
        """``release_held_referrals``: this dispatcher has a referral endpoint, so referrals held for want
        of one are queued on its first run."""
        self._factory = factory
        self._held_to_release = release_held_referrals
        self._resolve = resolve
        self.policy = policy
        self._clock = clock
        self._uniform = uniform

    async def run_once(self) -> int:
        """Claims one batch and delivers it concurrently; returns how many messages it claimed."""
        if self._held_to_release:
            async with self._factory() as session, session.begin():
                await release_held_referrals(session, now=self._clock())
            self._held_to_release = False
        claims = await self._claim()
        outcomes = await asyncio.gather(*(self._deliver(claim) for claim in claims), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                # Recording the outcome failed (the database went away): the lease will run out and the
                # message be delivered again, which receivers absorb.
                log.error("delivery outcome not recorded", extra={"error_type": type(outcome).__name__})
        return len(claims)

    async def run_until_idle(self, *, max_batches: int = 1000) -> int:
        """Delivers batches until none is due (or ``max_batches`` ran); returns how many it claimed."""
        total = 0
        for _ in range(max_batches):
            claimed = await self.run_once()
            total += claimed
            if claimed == 0:
                break
        return total

    async def run(self, stop: asyncio.Event, *, poll_seconds: float) -> None:
        """Delivers until ``stop`` is set, pausing ``poll_seconds`` whenever nothing is due."""
        while not stop.is_set():
            try:
                claimed = await self.run_once()
            except Exception as exc:
                # The database may be restarting; the rows are safe where they are, so try again later.
                log.error("outbox dispatch failed", extra={"error_type": type(exc).__name__})
                claimed = 0
            if claimed == 0:
                await _wait(stop, poll_seconds)

    async def _claim(self) -> list[Claim]:
        async with self._factory() as session, session.begin():
            return await claim_due(
                session,
                now=self._clock(),
                lease=timedelta(seconds=self.policy.lease_seconds),
                limit=self.policy.batch_size,
                max_attempts=self.policy.max_attempts,
            )

    async def _deliver(self, claim: Claim) -> None:
        try:
            message = AdviceMessage.model_validate(claim.payload)
            delivery = self._resolve(claim.practice_ods, claim.channel)
            external_id = await delivery.deliver(message)
        except ReceiverNotTried as exc:
            await self._not_tried(claim, exc)
            return
        except UpstreamError as exc:
            error = f"{exc.source}: {exc.detail}"
        except DeliveryNotConfigured as exc:
            error = str(exc)
        except Exception as exc:
            # Only the type: an exception's text (a ValidationError's above all) may quote the advice.
            log.error(
                "delivery raised unexpectedly",
                extra={"message_id": claim.message_id, "error_type": type(exc).__name__},
            )
            error = f"unexpected {type(exc).__name__}"
        else:
            await self._succeeded(claim, external_id)
            return
        await self._failed(claim, error[:500])

    async def _succeeded(self, claim: Claim, external_id: str | None) -> None:
        state = _DELIVERED_STATE[Channel(claim.channel)]
        async with self._factory() as session, session.begin():
            kept = await settle(session, claim, status=state, now=self._clock(), external_id=external_id)
        DELIVERIES.labels(claim.channel, state.value if kept else "superseded").inc()
        if not kept:
            log.warning("delivered after the lease ran out", extra={"message_id": claim.message_id})

    async def _not_tried(self, claim: Claim, refusal: ReceiverNotTried) -> None:
        now = self._clock()
        # Never sooner than a second: a receiver that may be tried "now" but still refuses must not spin.
        retry_at = now + timedelta(seconds=max(1.0, refusal.retry_in))
        async with self._factory() as session, session.begin():
            kept = await release(session, claim, retry_at=retry_at, reason=refusal.reason[:500])
        DELIVERIES.labels(claim.channel, "not-tried" if kept else "superseded").inc()

    async def _failed(self, claim: Claim, error: str) -> None:
        now = self._clock()
        exhausted = claim.attempt >= self.policy.max_attempts
        retry_at = (
            None
            if exhausted
            else now + timedelta(seconds=self.policy.retry_delay(claim.attempt, self._uniform))
        )
        state = DeliveryState.DEAD if exhausted else DeliveryState.PENDING
        async with self._factory() as session, session.begin():
            kept = await settle(session, claim, status=state, now=now, last_error=error, retry_at=retry_at)
        outcome = ("dead" if exhausted else "retry") if kept else "superseded"
        DELIVERIES.labels(claim.channel, outcome).inc()
        log.warning(
            "delivery failed",
            extra={
                "message_id": claim.message_id,
                "attempt": claim.attempt,
                "outcome": outcome,
                "error": error,
            },
        )


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return
