"""The web process delivers queued advice itself, unless told that a separate worker does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from adapters.mock_gp import running_mock_gp
from app.core.config import Settings
from app.main import create_app
from app.outbox.models import DeliveryState
from tests.outbox.factories import queue, row
from tests.outbox.workers import practices_file, received


@pytest.fixture
def mock_gp(tmp_path: Path) -> Iterator[str]:
    data = tmp_path / "gp"
    data.mkdir()
    with running_mock_gp(data) as url:
        yield url


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, mock_gp: str) -> Settings:
    return settings.model_copy(
        update={"practices_file": practices_file(tmp_path, mock_gp), "outbox_poll_seconds": 0.05}
    )


async def test_the_app_delivers_queued_advice_in_the_background(app: FastAPI, mock_gp: str) -> None:
    [message_id] = await queue(app.state.session_factory)
    for _ in range(100):
        if (await row(app.state.session_factory, message_id)).status == DeliveryState.DELIVERED:
            break
        await asyncio.sleep(0.05)
    assert (await row(app.state.session_factory, message_id)).status == DeliveryState.DELIVERED
    assert (await asyncio.to_thread(received, mock_gp))["communications"]["unique"] == 1


async def test_with_the_dispatcher_disabled_the_app_leaves_delivery_to_a_worker(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"outbox_dispatcher_enabled": False}))
    async with app.router.lifespan_context(app):
        [message_id] = await queue(app.state.session_factory)
        await asyncio.sleep(0.3)
        assert (await row(app.state.session_factory, message_id)).status == DeliveryState.PENDING
