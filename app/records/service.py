"""Fetch what a specialty needs from the patient's GP system and normalise it into one canonical record."""

from __future__ import annotations

from datetime import date

from app.core.errors import NotFound
from app.records.codes import codes_for
from app.records.normalise import normalise_record
from app.records.wiring import PracticeNetwork
from app.specialties.base import RecordNeeds
from schemas.clinical import ClinicalRecord, ObservationQuery, RecordQuery


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def record_query(needs: RecordNeeds, today: date) -> RecordQuery:
    """Only the codes and date windows the specialty asked for: never the whole record."""
    return RecordQuery(
        observations=tuple(
            ObservationQuery(
                name=need.analyte.value, codes=codes_for(need.analyte), since=_years_before(today, need.years)
            )
            for need in needs.results
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


async def fetch_clinical_record(
    network: PracticeNetwork, nhs_number: str, needs: RecordNeeds, *, today: date
) -> ClinicalRecord:
    ods = await registered_practice(network, nhs_number)
    source = network.source_for(ods)
    raw = await source.fetch_record(nhs_number, record_query(needs, today))
    return normalise_record(raw)
