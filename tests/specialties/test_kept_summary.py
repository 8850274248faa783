"""A kept record's summary is built once and reused with each read's moment; never across records or days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import app.specialties.service as summary_service
from adapters.demo import DEMO_PATIENTS
from tests.support.identity import IdentityProvider, bearer

BREAK_GLASS = {"X-Break-Glass-Reason": "urgent review requested by phone"}
NHS_NUMBER = DEMO_PATIENTS[0].nhs_number


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The moment of every summary built."""
    built: list[datetime] = []
    real: Callable[..., Any] = summary_service.summarise

    def counting(*args: Any, now: datetime, **kwargs: Any) -> Any:
        built.append(now)
        return real(*args, now=now, **kwargs)

    monkeypatch.setattr(summary_service, "summarise", counting)
    return built


async def _read(client: httpx.AsyncClient, identity: IdentityProvider) -> dict[str, Any]:
    headers = {**bearer(identity.consultant()), **BREAK_GLASS}
    response = await client.get(f"/v1/patients/{NHS_NUMBER}/summaries/nephrology", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_cached_read_reuses_the_summary_with_its_own_moment(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, builds: list[datetime]
) -> None:
    clock = app.state.clock = Clock()
    first = await _read(client, identity)
    clock.now += timedelta(minutes=1)
    second = await _read(client, identity)

    assert builds == [datetime(2026, 11, 24, 9, 0, tzinfo=UTC)]
    assert first["generated_at"] == "2026-11-24T09:00:00Z"
    assert second["generated_at"] == "2026-11-24T09:01:00Z"
    assert {**first, "generated_at": None} == {**second, "generated_at": None}


async def test_a_new_day_or_a_record_fetched_again_builds_it_again(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, builds: list[datetime]
) -> None:
    clock = app.state.clock = Clock()
    clock.now = datetime(2026, 11, 24, 23, 59, tzinfo=UTC)
    await _read(client, identity)
    clock.now += timedelta(minutes=1)  # the next day, the record still kept
    next_day = await _read(client, identity)
    clock.now += timedelta(seconds=app.state.settings.clinic_summary_ttl_seconds)  # the record fetched again
    await _read(client, identity)

    assert len(builds) == 3
    assert next_day["generated_at"] == "2026-11-25T00:00:00Z"
