"""A small in-memory cache with a time to live, where callers asking for a key being fetched share the fetch.

A consultant moves between the worklist and the patients on it within minutes, and several consultants may
open one clinic's worklist together; without the cache each of those reads would ask the practice again.
The time to live is short because results keep arriving in the GP record, and what is cached is only what a
worklist row shows. Failures are never cached: the next read asks again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


@dataclass(frozen=True, slots=True)
class _Stored(Generic[Value]):
    value: Value
    expires_at: datetime


class SingleFlightCache(Generic[Key, Value]):
    """Values by key for ``ttl``, by ``clock``; one event loop only (asyncio tasks, no thread locks)."""

    def __init__(self, ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self._ttl = ttl
        self._clock = clock
        self._stored: dict[Key, _Stored[Value]] = {}
        self._fetching: dict[Key, asyncio.Task[Value]] = {}

    def cached(self, key: Key) -> Value | None:
        """The value stored for ``key`` if it has not yet expired."""
        stored = self._stored.get(key)
        if stored is None or stored.expires_at <= self._clock():
            return None
        return stored.value

    async def get(self, key: Key, fetch: Callable[[], Awaitable[Value]]) -> Value:
        """The cached value, else the result of the fetch already under way for ``key``, else a new fetch.

        The fetch runs as its own task, shielded from its callers: one caller giving up (a client that
        disconnects) does not cancel the fetch the others are waiting for.
        """
        found = self.cached(key)
        if found is not None:
            return found
        task = self._fetching.get(key)
        if task is None:
            task = asyncio.create_task(self._fill(key, fetch))
            task.add_done_callback(_retrieve_outcome)
            self._fetching[key] = task
        return await asyncio.shield(task)

    async def _fill(self, key: Key, fetch: Callable[[], Awaitable[Value]]) -> Value:
        try:
            value = await fetch()
        finally:
            del self._fetching[key]
        now = self._clock()
        self._stored = {k: s for k, s in self._stored.items() if s.expires_at > now}
        if self._ttl > timedelta(0):
            self._stored[key] = _Stored(value, now + self._ttl)
        return value


def _retrieve_outcome(task: asyncio.Task[object]) -> None:
    # When every caller gave up, no one awaits the failure; retrieving it keeps asyncio from logging it.
    if not task.cancelled():
        task.exception()
