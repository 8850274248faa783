"""Record sources that count what the worklist asks of each practice, wrapped around the app's real ones.

A fetch is one ``fetch_records`` call, of however many patients; ``patients`` counts the patients named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.errors import UpstreamError
from app.records.ports import GPRecordSource
from app.records.wiring import PracticeNetwork
from schemas.clinical import RecordQuery, SourcePatient, SourceRecord


@dataclass
class Tally:
    """Record fetches: how many per practice, and the most in flight at once, per practice and overall."""

    fetches: Counter[str] = field(default_factory=Counter)
    patients: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    peak_overall: int = 0

    def started(self, ods: str, patients: int) -> None:
        self.fetches[ods] += 1
        self.patients[ods] += patients
        self.in_flight[ods] += 1
        self.peak[ods] = max(self.peak[ods], self.in_flight[ods])
        self.peak_overall = max(self.peak_overall, self.in_flight.total())

    def finished(self, ods: str) -> None:
        self.in_flight[ods] -= 1


class CountedSource:
    def __init__(self, inner: GPRecordSource, tally: Tally) -> None:
        self.practice_ods = inner.practice_ods
        self.adapter = inner.adapter
        self.patients_per_fetch = inner.patients_per_fetch
        self._inner = inner
        self._tally = tally

    async def find_patient(self, nhs_number: str) -> SourcePatient:
        return await self._inner.find_patient(nhs_number)

    async def fetch_record(self, nhs_number: str, query: RecordQuery) -> SourceRecord:
        return _or_raise((await self.fetch_records([nhs_number], query))[nhs_number])

    async def fetch_records(
        self, nhs_numbers: Sequence[str], query: RecordQuery
    ) -> dict[str, SourceRecord | UpstreamError]:
        self._tally.started(self.practice_ods, len(nhs_numbers))
        try:
            return await self._inner.fetch_records(nhs_numbers, query)
        finally:
            self._tally.finished(self.practice_ods)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _or_raise(found: SourceRecord | UpstreamError) -> SourceRecord:
    if isinstance(found, UpstreamError):
        raise found
    return found


def count_fetches(network: PracticeNetwork) -> Tally:
    """Wraps every practice's source in ``network`` so that its fetches are counted in the returned tally."""
    tally = Tally()
    for ods, source in list(network.sources.items()):
        network.sources[ods] = CountedSource(source, tally)
    return tally
