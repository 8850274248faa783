"""Fetch what a specialty needs from the patient's GP system and normalise it into one canonical record."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from adapters.errors import UpstreamError
from app.core.errors import NotFound
from app.records.codes import codes_for
from app.records.normalise import normalise_record
from app.records.ports import GPRecordSource
from app.records.wiring import PracticeNetwork
from app.specialties.base import RecordNeeds
from schemas.clinical import Analyte, ClinicalRecord, ObservationQuery, RecordQuery

# The directory (PDS, for real) is one national service: a worklist asks it about a few patients at a time.
DIRECTORY_LOOKUPS_AT_ONCE = 8


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def record_query(needs: RecordNeeds, today: date) -> RecordQuery:
    """Only the codes and date windows the specialty asked for: never the whole record.

    Analytes sharing a window share one search: each search is a round trip to the practice, and a
    worklist makes many, so fewer searches keep a clinic fast and the practice's load down.
    """
    by_window: dict[int, list[Analyte]] = defaultdict(list)
    for need in needs.results:
        by_window[need.years].append(need.analyte)
    return RecordQuery(
        observations=tuple(
            ObservationQuery(
                name="+".join(analyte.value for analyte in analytes),
                codes=tuple(code for analyte in analytes for code in codes_for(analyte)),
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


async def fetch_clinical_records(
    source: GPRecordSource, nhs_numbers: Sequence[str], needs: RecordNeeds, *, today: date
) -> dict[str, ClinicalRecord | UpstreamError]:
    """Records of several patients of one practice, in as few searches as its system allows."""
    try:
        raw = await source.fetch_records(nhs_numbers, record_query(needs, today))
    except UpstreamError as failure:
        return dict.fromkeys(nhs_numbers, failure)
    return {
        nhs_number: found if isinstance(found, UpstreamError) else normalise_record(found)
        for nhs_number, found in raw.items()
    }


async def fetch_clinical_record(
    network: PracticeNetwork, nhs_number: str, needs: RecordNeeds, *, today: date
) -> ClinicalRecord:
    ods = await registered_practice(network, nhs_number)
    source = network.source_for(ods)
    raw = await source.fetch_record(nhs_number, record_query(needs, today))
    return normalise_record(raw)
