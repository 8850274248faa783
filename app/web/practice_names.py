"""Patients' names for a practice's own pages, read from the practice's own record system.

A name helps the GP find the patient; the NHS number is what identifies them, so a name that cannot be read
in time is left out (the page shows the NHS number alone) rather than failing the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from app.core.errors import NotFound
from app.records.ports import UpstreamError, upstream_deadline
from app.records.wiring import PracticeNetwork

# A page of requests reads at most this many names from the practice at once.
NAME_LOOKUPS_AT_ONCE = 4
# Names are a courtesy on the page: they wait no longer than this for the practice.
NAME_DEADLINE_SECONDS = 5.0


async def patient_names(network: PracticeNetwork, ods: str, nhs_numbers: Iterable[str]) -> dict[str, str]:
    """Each patient's name as the practice records it, for those it could be read for."""
    wanted = list(dict.fromkeys(nhs_numbers))
    try:
        source = network.source_for(ods)
    except NotFound:
        return {}
    bound = asyncio.Semaphore(NAME_LOOKUPS_AT_ONCE)

    async def name_of(nhs_number: str) -> str | None:
        async with bound:
            try:
                return (await source.find_patient(nhs_number)).name
            except (UpstreamError, NotFound):
                return None

    with upstream_deadline(min(NAME_DEADLINE_SECONDS, network.upstream_deadline_seconds)):
        found = await asyncio.gather(*(name_of(nhs_number) for nhs_number in wanted))
    return {nhs: name for nhs, name in zip(wanted, found, strict=True) if name}
