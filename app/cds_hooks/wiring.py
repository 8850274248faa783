"""Builds the CDS Hooks services when the app starts: its trusted EHRs, its services, its FHIR access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.fhir_r4.parse import patient as read_patient
from adapters.fhir_r4.prefetched import FhirServerReader, PrefetchedSource, resources_of
from app.cds_hooks.dev_ehr import DEMO_EHR_CLIENT, demo_ehr_client
from app.cds_hooks.discovery import CdsService, cds_services
from app.cds_hooks.ports import FhirQueryReader
from app.cds_hooks.trust import CdsTrust, build_cds_trust
from app.core.config import Settings
from app.records.ports import GPRecordSource
from app.records.practices import PracticesFile
from app.records.wiring import PracticeNetwork
from app.specialties.base import Specialty
from schemas.clinical import SourceFailure

# What the demo EHR's records say came from: the EHR, through CDS Hooks.
CDS_HOOKS_ADAPTER = "cds-hooks"


class FhirR4EhrAccess:
    """``EhrFhirAccess`` by the FHIR R4 adapter's parser, over one HTTP client the app owns."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    def resources_of(self, source: str, found: Any) -> list[Any]:
        return resources_of(source, found)

    def reader(self, base_url: str, access_token: str | None) -> FhirQueryReader:
        return FhirServerReader(base_url, access_token, client=self._client)

    def record_source(
        self,
        *,
        practice_ods: str,
        nhs_number_system: str,
        patient: dict[str, Any],
        resources: Sequence[Any],
        failures: Sequence[SourceFailure],
    ) -> tuple[str, GPRecordSource]:
        found = read_patient(patient, nhs_number_system)
        source = PrefetchedSource(
            practice_ods=practice_ods,
            adapter=CDS_HOOKS_ADAPTER,
            patient=found,
            resources=resources,
            failures=failures,
        )
        return found.nhs_number, source


@dataclass(frozen=True, slots=True)
class CdsHooks:
    trust: CdsTrust
    services: dict[str, CdsService]
    fhir: FhirR4EhrAccess
    client: httpx.AsyncClient

    async def aclose(self) -> None:
        await self.client.aclose()


def build_cds_hooks(
    settings: Settings,
    config: PracticesFile,
    network: PracticeNetwork,
    specialties: Sequence[Specialty],
) -> CdsHooks:
    """The services and their trusted clients; in dev mode with the demo practice, the demo EHR too."""
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.upstream_timeout_seconds, connect=min(settings.upstream_timeout_seconds, 5.0)
        )
    )
    clients = dict(config.cds_clients)
    if settings.dev_mode and settings.practices_file is None and DEMO_EHR_CLIENT not in clients:
        clients[DEMO_EHR_CLIENT] = demo_ehr_client(settings, next(iter(config.practices)))
    trust = build_cds_trust(clients, config.practices, settings=settings, http=client)
    return CdsHooks(trust, cds_services(specialties, network.catalogue), FhirR4EhrAccess(client), client)
