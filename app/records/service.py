"""Fetch what a specialty needs from the patient's GP system and normalise it into one canonical record."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date

from app.core.errors import NotFound
from app.records.analytes import AnalyteCatalogue
from app.records.cache import Found, RecordCache
from app.records.needs import RecordNeeds
from app.records.normalise import normalise_record
from app.records.ports import (
    GPRecordSource,
    UpstreamError,
    UpstreamTimeout,
    current_deadline,
    upstream_deadline,
)
from app.records.wiring import PracticeNetwork
from schemas.clinical import ClinicalRecord, ObservationQuery, RecordQuery

# The directory (PDS, for real) is one national service: a worklist asks it about a few patients at a time.
DIRECTORY_LOOKUPS_AT_ONCE = 8


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def record_query(
    needs: RecordNeeds, catalogue: AnalyteCatalogue, today: date, *, history_years: int
) -> RecordQuery:
    """Only the codes and date windows the specialty asked for: never the whole record.

    A need without a window reads the whole history back to ``history_years`` before today, and no window
    reaches further. Analytes sharing a window share one search: each search is a round trip to the
    practice, and a worklist makes many, so fewer searches keep a clinic fast and the practice's load down.
    Raises KeyError for an analyte the catalogue does not hold: a wiring fault, caught by the tests.
    """
    by_window: dict[int, list[str]] = defaultdict(list)
    for need in needs.results:
        years = history_years if need.years is None else min(need.years, history_years)
        by_window[years].append(need.analyte)
    return RecordQuery(
        observations=tuple(
            ObservationQuery(
                name="+".join(analytes),
                codes=tuple(code for analyte in analytes for code in catalogue.codes_for(analyte)),
                since=_years_before(today, years),
            )
            for years, analytes in sorted(by_window.items(), reverse=True)
        ),
        medications_since=_years_before(today, needs.medication_years),
        include_medications=needs.medication_years > 0,
        include_conditions=needs.conditions,
    )


async def registered_practice(network: PracticeNetwork, nhs_number: str) -> str:
    ods = await network.directory.registered_practice(nhs_number)
    if ods is None:
        raise NotFound("the patient's registered practice is not known to this service")
    return ods


async def registered_practices(
    network: PracticeNetwork, nhs_numbers: Sequence[str]
) -> dict[str, str | NotFound]:
    """Each patient's registered practice, or why it is not known; a few directory lookups at a time."""
    bound = asyncio.Semaphore(DIRECTORY_LOOKUPS_AT_ONCE)

    async def practice_of(nhs_number: str) -> str | NotFound:
        async with bound:
            try:
                return await registered_practice(network, nhs_number)
            except NotFound as unknown:
                return unknown

    found = await asyncio.gather(*(practice_of(nhs_number) for nhs_number in nhs_numbers))
    return dict(zip(nhs_numbers, found, strict=True))


async def _kept_practice(network: PracticeNetwork, nhs_number: str, records: RecordCache) -> str:
    async def look_up(nhs_numbers: list[str]) -> dict[str, str | NotFound]:
        return await registered_practices(network, nhs_numbers)

    found = (await records.practices([nhs_number], look_up))[nhs_number]
    if isinstance(found, NotFound):
        raise found
    return found


@asynccontextmanager
async def _backstop(source: str) -> AsyncIterator[None]:
    """Ends the work a little after the current deadline, as ``UpstreamTimeout``; no bound without one.

    Requests stop themselves at the deadline and report which part ran out, so the summary can say what is
    missing. The backstop, later by a quarter of the allowance (at most a second), so as not to race them,
    bounds everything else: our own queueing for a practice, a directory, a source that sends no requests.
    """
    deadline = current_deadline()
    at = None if deadline is None else deadline.at + min(1.0, deadline.seconds / 4)
    try:
        async with asyncio.timeout_at(at):
            yield
    except TimeoutError:
        assert deadline is not None
        detail = f"not answered within the {deadline.seconds:g} s deadline for the upstream work"
        raise UpstreamTimeout(source, detail) from None


async def fetch_clinical_records(
    source: GPRecordSource,
    nhs_numbers: Sequence[str],
    needs: RecordNeeds,
    *,
    catalogue: AnalyteCatalogue,
    today: date,
    history_years: int,
    records: RecordCache | None = None,
) -> dict[str, Found]:
    """Records of several patients of one practice, in as few searches as its system allows.

    Bounded by the deadline the caller works under (``adapters.http.upstream_deadline``), if any. Records
    kept in ``records`` are not fetched again.
    """
    query = record_query(needs, catalogue, today, history_years=history_years)

    async def fetch(missing: list[str]) -> dict[str, Found]:
        try:
            async with _backstop(f"practice {source.practice_ods}"):
                raw = await source.fetch_records(missing, query)
        except UpstreamError as failure:
            return dict.fromkeys(missing, failure)
        return {
            nhs_number: found if isinstance(found, UpstreamError) else normalise_record(found, catalogue)
            for nhs_number, found in raw.items()
        }

    if records is None:
        return await fetch(list(nhs_numbers))
    return await records.records(source.practice_ods, nhs_numbers, query, fetch)


async def fetch_clinical_record(
    network: PracticeNetwork,
    nhs_number: str,
    needs: RecordNeeds,
    *,
    today: date,
    records: RecordCache | None = None,
) -> ClinicalRecord:
    """One patient's record from their registered practice, within the network's upstream deadline.

    Raises ``NotFound`` for a patient no connected practice holds, ``UpstreamTimeout`` when the patient
    could not be found in time, and the other ``UpstreamError`` kinds as the source does. Parts of the
    record not fetched in time leave it incomplete, with a warning naming them. A record kept in
    ``records`` is not fetched again.
    """
    query = record_query(needs, network.catalogue, today, history_years=network.record_history_years)
    with upstream_deadline(network.upstream_deadline_seconds):
        async with _backstop("the GP record"):
            if records is None:
                ods = await registered_practice(network, nhs_number)
            else:
                ods = await _kept_practice(network, nhs_number, records)
            source = network.source_for(ods)

            async def fetch() -> ClinicalRecord:
                return normalise_record(await source.fetch_record(nhs_number, query), network.catalogue)

            if records is None:
                return await fetch()
            return await records.record(ods, nhs_number, query, fetch)
