"""The outbox worker: the dispatcher's loop, the MESH inbox poll and the audit sealer, as background tasks.

The same worker runs inside the web process (the lifespan starts it unless
``VCLINIC_OUTBOX_DISPATCHER_ENABLED`` is off) or on its own (``vclinic worker``); any number of either may
share one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from app.audit.sealer import AuditSealer
from app.outbox.dispatcher import Dispatcher

log = logging.getLogger("vclinic.outbox")


class OutboxWorker:
    """The dispatcher's loop, the MESH inbox poll when we have a mailbox, and the audit sealer when given one,
    as background tasks."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        poll_seconds: float,
        mesh_poll: Callable[[], Awaitable[object]] | None = None,
        mesh_poll_seconds: float = 60.0,
        sealer: AuditSealer | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self._poll_seconds = poll_seconds
        self._mesh_poll = mesh_poll
        self._mesh_poll_seconds = mesh_poll_seconds
        self._sealer = sealer
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, *, deliver: bool = True) -> None:
        """Starts the sealer, and with ``deliver`` the dispatcher and the MESH poll."""
        if deliver:
            self._tasks.append(
                asyncio.create_task(self.dispatcher.run(self._stop, poll_seconds=self._poll_seconds))
            )
            if self._mesh_poll is not None:
                self._tasks.append(asyncio.create_task(self._poll_mesh(self._mesh_poll)))
        if self._sealer is not None:
            self._tasks.append(asyncio.create_task(self._sealer.run(self._stop)))

    async def run_once(self) -> int:
        """Delivers what is due, reads the MESH inbox, seals; returns how many deliveries it attempted."""
        attempted = await self.dispatcher.run_until_idle()
        if self._mesh_poll is not None:
            await self._mesh_poll()
        if self._sealer is not None:
            await self._sealer.seal_round()
        return attempted

    async def stop(self, *, grace_seconds: float = 10.0) -> None:
        """Lets deliveries in flight finish for up to ``grace_seconds``; leases cover any cut short."""
        self._stop.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _poll_mesh(self, poll: Callable[[], Awaitable[object]]) -> None:
        while not self._stop.is_set():
            try:
                await poll()
            except Exception as exc:
                log.error("MESH inbox poll failed", extra={"error_type": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self._mesh_poll_seconds)
