"""The worklist: each patient on a clinic's list with the headline figures of their specialty summary.

A clinic's list may hold thirty patients of one surgery, and its GP system must neither see thirty record
fetches land together nor make the consultant wait for thirty in turn. So the list's patients are grouped by
their registered practice and fetched a batch at a time: a FHIR server finds a batch's patients in one
search and reads every one's results in one search per part (``patients_per_fetch`` patients each), and no
practice has more than ``practice_concurrency`` batches in flight. Each practice has its own bound, so a slow
practice holds up only its own patients, and a practice that fails marks only its own patients' rows
unavailable; the rest of the worklist still shows.

Records come through the app's record cache, which the summary route shares: a patient read on the worklist is
not fetched again when the consultant opens their summary, nor the other way round. A row's highlights, and
the summary they are taken from, are built once a day per record kept (the summary route reuses that same
summary), and built again when the record is fetched again.

The whole worklist shares one upstream deadline (``VCLINIC_UPSTREAM_DEADLINE_SECONDS``): a batch still
queued or unanswered when it runs out marks its rows as timed out, and the rows already built still show.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.clinics.models import ClinicEntry
from app.core.errors import NotFound
from app.records.cache import RecordCache
from app.records.ports import GPRecordSource, UpstreamError, upstream_deadline
from app.records.service import fetch_clinical_records, registered_practices
from app.records.wiring import PracticeNetwork
from app.specialties.base import Specialty
from app.specialties.service import kept_summary
from app.specialties.settings import SpecialtySettings
from schemas.api.summary import Highlight
from schemas.clinical import ClinicalRecord, Sex

# A summary that cannot be built: the practice failed us, or no connected practice holds the patient.
SummaryFailure = UpstreamError | NotFound


@dataclass(frozen=True, slots=True)
class Highlighted:
    """What a row shows of the patient's summary, and who the patient is, as their practice records them.

    ``complete`` is False when part of the record could not be read: such highlights are shown but never
    reused.
    """

    highlights: tuple[Highlight, ...]
    criteria_met: tuple[str, ...]
    complete: bool
    generated_at: datetime
    patient_name: str | None = None
    patient_birth_date: date | None = None
    patient_sex: Sex | None = None


Highlights = Highlighted | SummaryFailure


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One entry and either its highlights or the failure that kept them from being built."""

    entry: ClinicEntry
    highlighted: Highlighted | None = None
    failure: SummaryFailure | None = None

    @classmethod
    def of(cls, entry: ClinicEntry, found: Highlights) -> WorklistRow:
        if isinstance(found, Highlighted):
            return cls(entry, highlighted=found)
        return cls(entry, failure=found)

    @property
    def problem(self) -> str | None:
        if isinstance(self.failure, UpstreamError):
            return f"{self.failure.source}: {self.failure.detail}"
        return self.failure.detail if self.failure is not None else None


def _batches(nhs_numbers: list[str], size: int) -> list[list[str]]:
    size = max(size, 1)
    return [nhs_numbers[start : start + size] for start in range(0, len(nhs_numbers), size)]


class WorklistSummaries:
    """Builds worklist rows; one per app, holding each practice's bound (highlights are kept with records)."""

    def __init__(
        self,
        *,
        practice_concurrency: int,
        records: RecordCache,
        clock: Callable[[], datetime],
        specialty_settings: Callable[[], SpecialtySettings],
    ) -> None:
        self._practice_concurrency = practice_concurrency
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._records = records
        self._clock = clock
        self._specialty_settings = specialty_settings

    async def rows(
        self, network: PracticeNetwork, specialty: Specialty, entries: Sequence[ClinicEntry]
    ) -> list[WorklistRow]:
        """A row for each entry, in the order given; records not kept are fetched together."""
        patients = list(dict.fromkeys(entry.nhs_number for entry in entries))
        found = await self._highlights(network, specialty, patients)
        return [WorklistRow.of(entry, found[entry.nhs_number]) for entry in entries]

    async def _highlights(
        self, network: PracticeNetwork, specialty: Specialty, nhs_numbers: list[str]
    ) -> dict[str, Highlights]:
        """Every patient's highlights or failure: batches of each practice's patients, fetched at once."""
        with upstream_deadline(network.upstream_deadline_seconds):
            return await self._highlights_in_time(network, specialty, nhs_numbers)

    async def _highlights_in_time(
        self, network: PracticeNetwork, specialty: Specialty, nhs_numbers: list[str]
    ) -> dict[str, Highlights]:
        found: dict[str, Highlights] = {}
        by_practice: dict[str, list[str]] = defaultdict(list)

        async def look_up(missing: list[str]) -> dict[str, str | NotFound]:
            return await registered_practices(network, missing)

        for nhs_number, practice in (await self._records.practices(nhs_numbers, look_up)).items():
            if isinstance(practice, NotFound):
                found[nhs_number] = practice
            else:
                by_practice[practice].append(nhs_number)
        async with asyncio.TaskGroup() as group:
            for practice, patients in by_practice.items():
                try:
                    source = network.source_for(practice)
                except NotFound as unconnected:
                    found.update(dict.fromkeys(patients, unconnected))
                    continue
                for batch in _batches(patients, source.patients_per_fetch):
                    group.create_task(self._fetch_batch(network, source, specialty, batch, found))
        return found

    async def _fetch_batch(
        self,
        network: PracticeNetwork,
        source: GPRecordSource,
        specialty: Specialty,
        batch: list[str],
        found: dict[str, Highlights],
    ) -> None:
        # A batch queued behind others has less of the deadline left; its requests get only what remains.
        async with self._gate(source.practice_ods):
            now = self._clock()
            records = await fetch_clinical_records(
                source,
                batch,
                specialty.needs,
                catalogue=network.catalogue,
                today=now.date(),
                history_years=network.record_history_years,
                records=self._records,
            )
        for nhs_number, record in records.items():
            found[nhs_number] = (
                record
                if isinstance(record, UpstreamError)
                else self._highlighted_once(specialty, nhs_number, record, now)
            )

    def _highlighted_once(
        self, specialty: Specialty, nhs_number: str, record: ClinicalRecord, now: datetime
    ) -> Highlighted:
        """The row's highlights, built once a day while the record is kept, from the summary the patient's
        page is given: the record cache keeps both, so neither reader builds what the other has."""
        specialty_settings = self._specialty_settings()

        def highlight() -> Highlighted:
            summary = kept_summary(
                specialty,
                record,
                nhs_number=nhs_number,
                now=now,
                specialty_settings=specialty_settings,
                records=self._records,
            )
            patient = record.patient
            return Highlighted(
                specialty.highlights(summary),
                tuple(summary.criteria_met()),
                summary.complete,
                now,
                patient.name,
                patient.birth_date,
                patient.sex,
            )

        return self._records.built_from(
            ("highlights", specialty.code, nhs_number, now.date()),
            record,
            (specialty, specialty_settings.of(specialty.code)),
            highlight,
        )

    def _gate(self, practice_ods: str) -> asyncio.Semaphore:
        gate = self._gates.get(practice_ods)
        if gate is None:
            gate = self._gates[practice_ods] = asyncio.Semaphore(self._practice_concurrency)
        return gate
