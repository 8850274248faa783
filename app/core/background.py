"""A worker loop run inside the web process while a block runs: what `make run` needs with no worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

STOP_GRACE_SECONDS = 2.0


@asynccontextmanager
async def running_alongside(
    name: str, run: Callable[[asyncio.Event], Coroutine[Any, Any, None]]
) -> AsyncIterator[None]:
    """Runs ``run(stop)`` as a task while the block runs; on leaving, sets ``stop`` and waits briefly.

    A loop still busy after ``STOP_GRACE_SECONDS`` is cancelled: whatever it held is leased, so the next
    worker takes it up when the lease runs out.
    """
    stop = asyncio.Event()
    task = asyncio.create_task(run(stop), name=name)
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=STOP_GRACE_SECONDS)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
