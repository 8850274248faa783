"""Several patients' records from a practice system that can only be asked about one patient at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from adapters.errors import UpstreamError
from schemas.clinical import RecordQuery, SourceRecord

FetchRecord = Callable[[str, RecordQuery], Awaitable[SourceRecord]]


async def fetch_one_by_one(
    fetch_record: FetchRecord, nhs_numbers: Sequence[str], query: RecordQuery
) -> dict[str, SourceRecord | UpstreamError]:
    """Each patient's record, or the upstream failure that kept it, fetched side by side.

    The caller decides how many patients to name at once; a source that fetches one by one says so by
    taking one patient per fetch, so its practice's bound on fetches in flight holds.
    """

    async def outcome(nhs_number: str) -> SourceRecord | UpstreamError:
        try:
            return await fetch_record(nhs_number, query)
        except UpstreamError as failure:
            return failure

    outcomes = await asyncio.gather(*(outcome(nhs_number) for nhs_number in nhs_numbers))
    return dict(zip(nhs_numbers, outcomes, strict=True))
