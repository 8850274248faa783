"""A specialty's summary of one patient from their GP record: the step every reader of summaries shares."""

from __future__ import annotations

from datetime import datetime

from app.records.cache import RecordCache
from app.records.service import fetch_clinical_record
from app.records.wiring import PracticeNetwork
from app.specialties.base import Specialty, SummaryContext
from app.specialties.settings import SpecialtySettings
from schemas.api.summary import SpecialtySummary
from schemas.clinical import ClinicalRecord


async def build_summary_for(
    *,
    network: PracticeNetwork,
    specialty: Specialty,
    nhs_number: str,
    now: datetime,
    specialty_settings: SpecialtySettings,
    records: RecordCache | None = None,
) -> SpecialtySummary:
    """The specialty's summary of the patient as of ``now``, from the GP record or ``records`` kept of it.

    Raises ``NotFound`` when no connected practice holds the patient and ``UpstreamError`` when the practice
    system fails; access checks are the caller's.
    """
    record = await fetch_clinical_record(
        network, nhs_number, specialty.needs, today=now.date(), records=records
    )
    return kept_summary(
        specialty,
        record,
        nhs_number=nhs_number,
        now=now,
        specialty_settings=specialty_settings,
        records=records,
    )


def kept_summary(
    specialty: Specialty,
    record: ClinicalRecord,
    *,
    nhs_number: str,
    now: datetime,
    specialty_settings: SpecialtySettings,
    records: RecordCache | None,
) -> SpecialtySummary:
    """The summary of a record just read through ``records``, built once a day while the record is kept."""
    if records is None:
        return summarise(specialty, record, now=now, specialty_settings=specialty_settings)
    # A kept record's summary is built once a day (its ages and windows are by day) and reused while the
    # record is kept; only the moment it is given at changes from read to read.
    built = records.built_from(
        ("summary", specialty.code, nhs_number, now.date()),
        record,
        (specialty, specialty_settings.of(specialty.code)),
        lambda: summarise(specialty, record, now=now, specialty_settings=specialty_settings),
    )
    return built if built.generated_at == now else built.model_copy(update={"generated_at": now})


def summarise(
    specialty: Specialty, record: ClinicalRecord, *, now: datetime, specialty_settings: SpecialtySettings
) -> SpecialtySummary:
    """The specialty's summary of a record already fetched, as of ``now``."""
    context = SummaryContext(
        today=now.date(), generated_at=now, settings=specialty_settings.of(specialty.code)
    )
    return specialty.build_summary(record, context)
