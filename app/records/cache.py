"""Normalised clinical records kept for a short time, shared by every reader of the record in this process.

A consultant moves between the worklist and the patients on it within minutes, and several consultants may
open one clinic's worklist together; without the cache each of those reads would ask the practice again.
Records are kept by practice, NHS number and record query, so a summary and a worklist row of one specialty
share one fetch, and a reader asking for a record being fetched shares that fetch. Each patient's registered
practice, as the directory (PDS) answers, is kept as long, so a cached read asks nothing upstream. The time
to live is short because results keep arriving in the GP record. Failures and incomplete records are never
kept: the next read asks again. Access checks and audit are the readers' and run on every read, cached or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar, cast

from fastapi import FastAPI

from app.core.errors import NotFound
from app.records.ports import UpstreamError
from schemas.clinical import ClinicalRecord, RecordQuery

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")
Built = TypeVar("Built")


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


# A record, or the failure that kept it, by practice, NHS number and the query's number (``_QueryNumbers``).
RecordKey = tuple[str, str, int]
Found = ClinicalRecord | UpstreamError
FetchRecords = Callable[[list[str]], Awaitable[Mapping[str, Found]]]
# A patient's registered practice, or why it is not known.
Practice = str | NotFound
LookUpPractices = Callable[[list[str]], Awaitable[Mapping[str, Practice]]]


def _whole(found: Found) -> bool:
    return isinstance(found, ClinicalRecord) and found.complete


class _QueryNumbers:
    """A small number for each record query: hashing a query walks every code it names, and a worklist of
    thirty looked each patient's key up several times, so keys carry the number instead of the query."""

    # Queries change with the day; past this many the old ones are forgotten (numbers are never reused).
    REMEMBERED = 64

    def __init__(self) -> None:
        self._numbers: dict[RecordQuery, int] = {}
        self._next = 0

    def of(self, query: RecordQuery) -> int:
        number = self._numbers.get(query)
        if number is None:
            if len(self._numbers) >= self.REMEMBERED:
                self._numbers.clear()
            number = self._numbers[query] = self._next
            self._next += 1
        return number


class RecordCache:
    """The records of one app, for ``ttl`` by ``clock``; a ``ttl`` of zero shares fetches under way only."""

    def __init__(self, ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self.ttl = ttl
        self._cache: SingleFlightCache[RecordKey, Found] = SingleFlightCache(ttl, clock)
        self._practices: SingleFlightCache[str, Practice] = SingleFlightCache(ttl, clock)
        self._query_numbers = _QueryNumbers()
        self._clock = clock
        # What was built of a kept record, by what it is: the record and the other inputs it was built from
        # (compared by identity), until when it may be reused, and the value.
        self._built: dict[Hashable, tuple[tuple[object, ...], datetime, object]] = {}
        self._built_pruned_at: datetime | None = None

    async def practices(self, nhs_numbers: Sequence[str], look_up: LookUpPractices) -> dict[str, Practice]:
        """Each patient's registered practice: kept, being looked up, or looked up now in one ``look_up``."""
        return await self._practices.get_many(nhs_numbers, look_up, keep=lambda found: isinstance(found, str))

    async def records(
        self, practice_ods: str, nhs_numbers: Sequence[str], query: RecordQuery, fetch: FetchRecords
    ) -> dict[str, Found]:
        """Each patient's record at the practice: kept, being fetched, or fetched now in one ``fetch``."""

        async def fetch_missing(keys: list[RecordKey]) -> dict[RecordKey, Found]:
            found = await fetch([nhs_number for _, nhs_number, _ in keys])
            return {key: found[key[1]] for key in keys}

        number = self._query_numbers.of(query)
        keys = [(practice_ods, nhs_number, number) for nhs_number in nhs_numbers]
        found = await self._cache.get_many(keys, fetch_missing, keep=_whole)
        return {key[1]: found[key] for key in keys}

    async def record(
        self,
        practice_ods: str,
        nhs_number: str,
        query: RecordQuery,
        fetch: Callable[[], Awaitable[ClinicalRecord]],
    ) -> ClinicalRecord:
        """One patient's record; a failure of the fetch is raised to every reader sharing it."""

        async def fetch_one(_: list[str]) -> dict[str, Found]:
            return {nhs_number: await fetch()}

        found = (await self.records(practice_ods, [nhs_number], query, fetch_one))[nhs_number]
        if isinstance(found, UpstreamError):
            raise found
        return found

    def built_from(
        self, key: Hashable, record: ClinicalRecord, inputs: tuple[object, ...], build: Callable[[], Built]
    ) -> Built:
        """``build()``, made once for as long as ``record`` is kept: a cached read does not redo the work.

        ``key`` names what is built and everything else it depends on by value (the patient, the day);
        ``inputs`` are the objects it depends on besides the record, reused only while they are the same
        objects. A record the cache does not keep (incomplete, or no time to live) is built from every time.
        """
        if self.ttl <= timedelta(0) or not record.complete:
            return build()
        now = self._clock()
        sources = (record, *inputs)
        earlier = self._built.get(key)
        if (
            earlier is not None
            and earlier[1] > now
            and len(earlier[0]) == len(sources)
            and all(a is b for a, b in zip(earlier[0], sources, strict=True))
        ):
            return cast(Built, earlier[2])
        value = build()
        if self._built_pruned_at is None or self._built_pruned_at <= now - self.ttl:
            # Kept no longer than the records they were built from.
            self._built = {k: v for k, v in self._built.items() if v[1] > now}
            self._built_pruned_at = now
        self._built[key] = (sources, now + self.ttl, value)
        return value


def record_cache(app: FastAPI) -> RecordCache:
    """The app's record cache, made on first use from its settings and clock."""
    cache: RecordCache | None = getattr(app.state, "record_cache", None)
    if cache is None:
        ttl = timedelta(seconds=app.state.settings.clinic_summary_ttl_seconds)
        # Read on every call, so a clock swapped into the app (tests, simulations) is the one used.
        cache = app.state.record_cache = RecordCache(ttl, lambda: app.state.clock())
    return cache
