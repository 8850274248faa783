"""The worklist's highlights cache on its own: time to live by an injected clock, and one fetch per key."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from app.records.cache import SingleFlightCache

TTL = timedelta(seconds=120)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Practice:
    """A fetch that counts its calls and, when gated, waits to be let through."""

    def __init__(self, *, gated: bool = False) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        if not gated:
            self.gate.set()

    async def fetch(self) -> str:
        self.calls += 1
        await self.gate.wait()
        return f"highlights {self.calls}"


async def one(cache: SingleFlightCache[str, str], key: str, fetch: Callable[[], Awaitable[str]]) -> str:
    """One key's value, asked for as a worklist of one patient asks."""

    async def fetch_keys(keys: list[str]) -> dict[str, str]:
        assert keys == [key]
        return {key: await fetch()}

    return (await cache.get_many([key], fetch_keys))[key]


async def test_a_value_is_reused_until_its_time_to_live_ends() -> None:
    clock, practice = Clock(), Practice()
    cache: SingleFlightCache[str, str] = SingleFlightCache(TTL, clock)

    assert await one(cache, "9990001006", practice.fetch) == "highlights 1"
    clock.now += TTL - timedelta(microseconds=1)
    assert await one(cache, "9990001006", practice.fetch) == "highlights 1"
    clock.now += timedelta(microseconds=1)
    assert await one(cache, "9990001006", practice.fetch) == "highlights 2"


async def test_callers_asking_while_a_fetch_is_under_way_share_it() -> None:
    cache: SingleFlightCache[str, str] = SingleFlightCache(TTL, Clock())
    practice = Practice(gated=True)

    waiting = [asyncio.create_task(one(cache, "9990001006", practice.fetch)) for _ in range(5)]
    await asyncio.sleep(0)
    practice.gate.set()

    assert await asyncio.gather(*waiting) == ["highlights 1"] * 5
    assert practice.calls == 1


async def test_a_failure_reaches_every_waiting_caller_and_is_not_kept() -> None:
    cache: SingleFlightCache[str, str] = SingleFlightCache(TTL, Clock())
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        raise ConnectionError("practice A11111 is down")

    waiting = [asyncio.create_task(one(cache, "9990001006", failing)) for _ in range(3)]
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert calls == 1
    with pytest.raises(ConnectionError):
        await one(cache, "9990001006", failing)
    assert calls == 2


async def test_a_caller_giving_up_does_not_cancel_the_fetch_others_wait_for() -> None:
    cache: SingleFlightCache[str, str] = SingleFlightCache(TTL, Clock())
    practice = Practice(gated=True)
    impatient = asyncio.create_task(one(cache, "9990001006", practice.fetch))
    patient = asyncio.create_task(one(cache, "9990001006", practice.fetch))
    await asyncio.sleep(0)

    impatient.cancel()
    practice.gate.set()

    assert await patient == "highlights 1"
    assert impatient.cancelled()
    assert practice.calls == 1


async def test_keys_neither_cached_nor_under_way_are_fetched_together_and_refused_values_not_kept() -> None:
    cache: SingleFlightCache[str, str] = SingleFlightCache(TTL, Clock())
    asked: list[list[str]] = []

    async def fetch_keys(keys: list[str]) -> dict[str, str]:
        asked.append(keys)
        return {key: "failed" if key == "b" else f"{key} {len(asked)}" for key in keys}

    def keep(value: str) -> bool:
        return value != "failed"

    first = await cache.get_many(["a", "b", "a"], fetch_keys, keep=keep)
    second = await cache.get_many(["c", "b", "a"], fetch_keys, keep=keep)

    assert first == {"a": "a 1", "b": "failed"}
    assert second == {"c": "c 2", "b": "failed", "a": "a 1"}
    # "a" was kept; "b" was not, so it was asked for again, with "c", in one fetch.
    assert asked == [["a", "b"], ["c", "b"]]
