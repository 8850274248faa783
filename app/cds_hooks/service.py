"""One call of a CDS Hooks service: the patient's record, the specialty's summary of it, and its card.

The record goes the way every summary's does (``fetch_clinical_records``: the specialty's record query,
then normalisation) and the summary is made by ``summarise``; the card is read from that summary and the
findings ``case_findings`` reads from it. Nothing here judges a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.cds_hooks.cards import IssuedCard, card_for
from app.cds_hooks.discovery import CdsService
from app.cds_hooks.ports import EhrFhirAccess
from app.cds_hooks.prefetch import gather_resources
from app.cds_hooks.trust import CdsClient
from app.core.errors import Unprocessable
from app.records.ports import UpstreamError, upstream_deadline
from app.records.service import fetch_clinical_records
from app.records.wiring import PracticeNetwork
from app.specialties.base import SummaryContext
from app.specialties.service import summarise
from app.specialties.settings import SpecialtySettings
from schemas.api.cds_hooks import CdsServiceRequest
from schemas.api.summary import SpecialtySummary
from schemas.clinical import NHS_NUMBER_SYSTEM


@dataclass(frozen=True, slots=True)
class Advice:
    """What a call concluded: the summary it rests on and the card, if any rule applies."""

    summary: SpecialtySummary
    card: IssuedCard | None


async def advise(
    service: CdsService,
    call: CdsServiceRequest,
    *,
    client: CdsClient,
    fhir: EhrFhirAccess,
    network: PracticeNetwork,
    specialty_settings: SpecialtySettings,
    now: datetime,
    base_url: str,
) -> Advice:
    """Raises ``PreconditionFailed`` (412) when the data cannot be had, ``Unprocessable`` for a Patient
    without an NHS number, and an ``UpstreamError`` when the EHR's FHIR server fails to give the Patient."""
    specialty = service.specialty
    with upstream_deadline(network.upstream_deadline_seconds):
        gathered = await gather_resources(service, call, client=client, fhir=fhir)
    practice = network.practices.get(client.ods)
    try:
        nhs_number, source = fhir.record_source(
            practice_ods=client.ods,
            nhs_number_system=practice.nhs_number_system if practice is not None else NHS_NUMBER_SYSTEM,
            patient=gathered.patient,
            resources=gathered.resources,
            failures=gathered.failures,
        )
    except ValueError:
        raise Unprocessable("the Patient carries no NHS number in the practice's identifier system") from None
    found = await fetch_clinical_records(
        source,
        [nhs_number],
        specialty.needs,
        catalogue=network.catalogue,
        today=now.date(),
        history_years=network.record_history_years,
    )
    record = found[nhs_number]
    if isinstance(record, UpstreamError):
        raise record
    summary = summarise(specialty, record, now=now, specialty_settings=specialty_settings)
    context = SummaryContext(
        today=now.date(), generated_at=now, settings=specialty_settings.of(specialty.code)
    )
    findings = specialty.case_findings(summary, record, context)
    card = card_for(
        service,
        summary,
        findings,
        patient_id=call.context.patient_id,
        base_url=base_url,
        practice_ods=client.ods,
    )
    return Advice(summary, card)
