"""A small in-memory cache with a time to live, where callers asking for a key being fetched share the fetch.

A consultant moves between the worklist and the patients on it within minutes, and several consultants may
open one clinic's worklist together; without the cache each of those reads would ask the practice again.
The time to live is short because results keep arriving in the GP record, and what is cached is only what a
worklist row shows. Failures, raised or returned as values the caller says not to keep, are never cached:
the next read asks again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
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
        self._fetching: dict[Key, asyncio.Task[Mapping[Key, Value]]] = {}

    def cached(self, key: Key) -> Value | None:
        """The value stored for ``key`` if it has not yet expired."""
        stored = self._stored.get(key)
        if stored is None or stored.expires_at <= self._clock():
            return None
        return stored.value

    async def get_many(
        self,
        keys: Sequence[Key],
        fetch: Callable[[list[Key]], Awaitable[Mapping[Key, Value]]],
        *,
        keep: Callable[[Value], bool] = lambda value: True,
    ) -> dict[Key, Value]:
        """Each key's value: cached, else from the fetch already under way for it, else from one new fetch.

        The keys neither cached nor being fetched are fetched together, in one call of ``fetch``, which must
        answer for every key it is given. Values ``keep`` refuses (failures a caller returns as values) are
        shared with callers asking meanwhile but not stored. The fetch runs as its own task, shielded from its
        callers: one caller giving up (a client that disconnects) does not cancel what others wait for.
        """
        found: dict[Key, Value] = {}
        waiting: dict[Key, asyncio.Task[Mapping[Key, Value]]] = {}
        missing: list[Key] = []
        for key in dict.fromkeys(keys):
            value = self.cached(key)
            if value is not None:
                found[key] = value
            elif key in self._fetching:
                waiting[key] = self._fetching[key]
            else:
                missing.append(key)
        if missing:
            task = asyncio.create_task(self._fill(missing, fetch, keep))
            task.add_done_callback(_retrieve_outcome)
            for key in missing:
                self._fetching[key] = waiting[key] = task
        for key, under_way in waiting.items():
            found[key] = (await asyncio.shield(under_way))[key]
        return found

    async def _fill(
        self,
        keys: list[Key],
        fetch: Callable[[list[Key]], Awaitable[Mapping[Key, Value]]],
        keep: Callable[[Value], bool],
    ) -> Mapping[Key, Value]:
        try:
            values = await fetch(keys)
        finally:
            for key in keys:
                del self._fetching[key]
        now = self._clock()
        self._stored = {k: s for k, s in self._stored.items() if s.expires_at > now}
        if self._ttl > timedelta(0):
            for key in keys:
                if keep(values[key]):
                    self._stored[key] = _Stored(values[key], now + self._ttl)
        return values


def _retrieve_outcome(task: asyncio.Task[object]) -> None:
    # When every caller gave up, no one awaits the failure; retrieving it keeps asyncio from logging it.
    if not task.cancelled():
        task.exception()
