"""The worklist: each patient on a clinic's list with the headline figures of their specialty summary.

Summaries are fetched all at once, but never more than ``practice_concurrency`` from any one practice: a
clinic's list may hold thirty patients of one surgery, and its GP system must not see thirty record
fetches land together. Each practice has its own bound, so a slow practice holds up only its own patients.
A practice that fails marks only its own patients' rows unavailable; the rest of the worklist still shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.errors import UpstreamError
from app.clinics.cache import SingleFlightCache
from app.clinics.models import ClinicEntry
from app.core.errors import NotFound
from app.records.wiring import PracticeNetwork
from app.specialties.base import Specialty, SummaryHighlights
from app.specialties.service import build_summary_for

# A summary that cannot be built: the practice failed us, or no connected practice holds the patient.
SummaryFailure = UpstreamError | NotFound


@dataclass(frozen=True, slots=True)
class Highlighted:
    highlights: SummaryHighlights
    generated_at: datetime


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One entry and either its highlights or the failure that kept them from being built."""

    entry: ClinicEntry
    highlighted: Highlighted | None = None
    failure: SummaryFailure | None = None

    @property
    def problem(self) -> str | None:
        if isinstance(self.failure, UpstreamError):
            return f"{self.failure.source}: {self.failure.detail}"
        return self.failure.detail if self.failure is not None else None


class WorklistSummaries:
    """Builds worklist rows; one per app, holding each practice's bound and the highlights cache."""

    def __init__(
        self,
        *,
        practice_concurrency: int,
        ttl: timedelta,
        clock: Callable[[], datetime],
        egfr_equation: str,
    ) -> None:
        self._practice_concurrency = practice_concurrency
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._cache: SingleFlightCache[tuple[str, str], Highlighted] = SingleFlightCache(ttl, clock)
        self._clock = clock
        self._egfr_equation = egfr_equation

    async def rows(
        self, network: PracticeNetwork, specialty: Specialty, entries: Sequence[ClinicEntry]
    ) -> list[WorklistRow]:
        """A row for each entry, in the order given, their summaries fetched concurrently."""
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._row(network, specialty, entry)) for entry in entries]
        return [task.result() for task in tasks]

    async def _row(self, network: PracticeNetwork, specialty: Specialty, entry: ClinicEntry) -> WorklistRow:
        async def fetch() -> Highlighted:
            return await self._highlights(network, specialty, entry)

        try:
            highlighted = await self._cache.get((specialty.code, entry.nhs_number), fetch)
        except (UpstreamError, NotFound) as failure:
            return WorklistRow(entry, failure=failure)
        return WorklistRow(entry, highlighted=highlighted)

    async def _highlights(
        self, network: PracticeNetwork, specialty: Specialty, entry: ClinicEntry
    ) -> Highlighted:
        # Gated by the practice named when the patient joined the list: naming it afresh would cost a
        # directory lookup per row; a patient who has moved since is still fetched from their new practice.
        async with self._gate(entry.practice_ods):
            now = self._clock()
            summary = await build_summary_for(
                network=network,
                specialty=specialty,
                nhs_number=entry.nhs_number,
                now=now,
                egfr_equation=self._egfr_equation,
            )
        return Highlighted(specialty.highlights(summary), now)

    def _gate(self, practice_ods: str) -> asyncio.Semaphore:
        gate = self._gates.get(practice_ods)
        if gate is None:
            gate = self._gates[practice_ods] = asyncio.Semaphore(self._practice_concurrency)
        return gate
