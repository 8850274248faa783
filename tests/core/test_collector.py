"""While the service runs, start-up's objects are frozen out of garbage collection and young collections are
rarer; when it stops, the collector is put back as it was."""

from __future__ import annotations

import gc

from app.core.config import Settings
from app.main import create_app


async def test_the_service_freezes_what_start_up_built_and_collects_the_young_less_often(
    settings: Settings,
) -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    app = create_app(settings.model_copy(update={"gc_young_threshold": 40_000}))

    async with app.router.lifespan_context(app):
        running = (gc.get_threshold()[0], gc.get_freeze_count())

    assert running[0] == 40_000
    assert running[1] > before[1] + 10_000
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


async def test_the_tuning_can_be_turned_off(settings: Settings) -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    app = create_app(settings.model_copy(update={"gc_freeze_after_startup": False}))

    async with app.router.lifespan_context(app):
        running = (gc.get_threshold(), gc.get_freeze_count())

    assert running == before
