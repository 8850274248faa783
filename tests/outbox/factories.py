"""Advice messages, databases, clocks and fake deliveries for the outbox tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.errors import UpstreamUnavailable
from app.core.config import Settings
from app.core.db import create_engine, session_factory
from app.outbox.models import OutboxMessage
from app.outbox.service import enqueue_advice
from schemas.advice import AdviceMessage, AdvicePatient, ChartPoint, FollowUpAction

PRACTICE = "A12345"
NHS_NUMBER = "9434765919"
GIVEN_AT = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)


def advice_message(**overrides: Any) -> AdviceMessage:
    fields: dict[str, Any] = {
        "message_id": uuid.uuid4().hex,
        "advice_request_id": uuid.uuid4().hex,
        "version": 1,
        "practice_ods": PRACTICE,
        "practice_name": "Mile End Surgery",
        "specialty": "nephrology",
        "specialty_title": "Nephrology",
        "patient": AdvicePatient(
            nhs_number=NHS_NUMBER, name="Harold Smith", family_name="Smith", birth_date=dt.date(1953, 2, 19)
        ),
        "question": "eGFR has fallen from 52 to 41 in a year. Refer, or manage in primary care?",
        "urgency": "routine",
        "requested_at": dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC),
        "outcome": "return-with-advice",
        "recommendation": "advice-then-refer-if-required",
        "advice": "Start an SGLT2 inhibitor; repeat U&E and ACR in 3 months.",
        "actions": [
            FollowUpAction(code="repeat-egfr", title="Repeat eGFR and ACR", due_date=dt.date(2027, 2, 22)),
            FollowUpAction(code="bp-review", title="Review blood pressure", note="Target below 140/90"),
        ],
        "consultant_name": "Dr Lee",
        "consultant_id": "dr-lee",
        "given_at": GIVEN_AT,
        "egfr_chart": [
            ChartPoint(date=dt.date(2023, 1, 10), value=52.0),
            ChartPoint(date=dt.date(2024, 2, 3), value=46.5),
            ChartPoint(date=dt.date(2025, 3, 9), value=41.0),
        ],
    }
    fields.update(overrides)
    return AdviceMessage(**fields)


@asynccontextmanager
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on their own engine (one per simulated process), disposed at the end."""
    engine = create_engine(Settings(dev_mode=True, database_url=database_url))
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def queue(
    factory: async_sessionmaker[AsyncSession], count: int = 1, *, channel: str = "fhir-r4", **overrides: Any
) -> list[str]:
    """Queues ``count`` messages in one transaction; returns their ids."""
    ids = []
    async with factory() as session, session.begin():
        for _ in range(count):
            row = await enqueue_advice(
                session,
                advice_message(**overrides),
                delivery=channel,
                now=overrides.get("given_at", GIVEN_AT),
            )
            ids.append(row.id)
    return ids


async def row(factory: async_sessionmaker[AsyncSession], message_id: str) -> OutboxMessage:
    async with factory() as session:
        found = await session.get(OutboxMessage, message_id)
    assert found is not None
    return found


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime = GIVEN_AT) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class CountingDelivery:
    """Counts deliveries per message id; ``pause`` seconds each, so concurrent workers overlap."""

    def __init__(self, *, pause: float = 0.0, external_id: str | None = None) -> None:
        self.counts: Counter[str] = Counter()
        self._pause = pause
        self._external_id = external_id

    async def deliver(self, message: AdviceMessage) -> str | None:
        self.counts[message.message_id] += 1
        if self._pause:
            await asyncio.sleep(self._pause)
        return self._external_id


class FailingDelivery:
    """Always fails the way a practice system that is down does."""

    def __init__(self) -> None:
        self.calls = 0

    async def deliver(self, message: AdviceMessage) -> str | None:
        self.calls += 1
        raise UpstreamUnavailable("practice A12345 advice endpoint", "POST Communication: HTTP 503")
