"""`make run`: in dev mode with the demo practice, the web process raises overdue notices with no worker."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS, DEMO_PRACTICE_ODS
from app.advice.responses import practice_today
from app.core.config import Settings
from app.main import create_app
from tests.advice.advice_calls import answered, submitted
from tests.support.identity import IdentityProvider, bearer


async def _overdue_events(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/practices/{DEMO_PRACTICE_ODS}/feed", headers=bearer(token))
    assert response.status_code == 200, response.text
    return [item for item in response.json()["items"] if item["event"] == "action-overdue"]


async def _run_with_an_overdue_action(
    settings: Settings, identity: IdentityProvider, *, polls: int
) -> list[dict[str, Any]]:
    """The feed's overdue events, read every 50 ms at most ``polls`` times once an action is overdue."""
    application: FastAPI = create_app(settings)
    practice = identity.practice(ods=DEMO_PRACTICE_ODS)
    yesterday = str(practice_today() - timedelta(days=1))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            request_id = await submitted(
                client,
                practice,
                nhs_number=DEMO_PATIENTS[0].nhs_number,
                outside_criteria_reason="Advice on a medicine change",
            )
            await answered(
                client,
                identity.consultant(),
                request_id,
                actions=[{"code": "stop-nsaid", "due_date": yesterday}],
            )
            events: list[dict[str, Any]] = []
            for _ in range(polls):
                events = await _overdue_events(client, practice)
                if events:
                    break
                await asyncio.sleep(0.05)
    return events


async def test_an_overdue_action_is_noticed_by_the_web_process_in_dev_mode(
    settings: Settings, identity: IdentityProvider
) -> None:
    dev = settings.model_copy(
        update={"dev_mode": True, "practices_file": None, "follow_up_poll_seconds": 0.05}
    )

    events = await _run_with_an_overdue_action(dev, identity, polls=200)

    assert [event["action"]["code"] for event in events] == ["stop-nsaid"]


async def test_outside_dev_mode_the_web_process_leaves_notices_to_the_worker(
    settings: Settings, identity: IdentityProvider
) -> None:
    served = settings.model_copy(update={"practices_file": None, "follow_up_poll_seconds": 0.05})

    # Twenty of the worker's 50 ms polls: time for an in-process worker to have noticed, had there been one.
    assert await _run_with_an_overdue_action(served, identity, polls=20) == []
