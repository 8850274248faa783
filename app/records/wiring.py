"""Builds the practice network from the practices file: one record source per practice, one directory.

Each practice gets its own ``httpx.AsyncClient`` (its own connection pool, timeouts and concurrency limit),
so a slow practice cannot starve the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.demo import DEMO_PRACTICE_ODS, DemoSource, demo_registrations
from adapters.fhir_r4 import FhirR4Source
from adapters.gp_connect import GpConnectSource
from adapters.http import RetryPolicy
from adapters.pds import PdsDirectory, StaticDirectory
from app.core.config import Settings
from app.core.errors import NotFound
from app.records.analytes import AnalyteCatalogue
from app.records.ports import GPRecordSource, PatientDirectory
from app.records.practices import (
    DirectoryConfig,
    MeshConfig,
    PracticeConfig,
    PracticesFile,
    ReferralsConfig,
    load_practices_file,
)
from app.records.registry import RegistryDirectory

DEMO_PRACTICES = PracticesFile(
    practices={
        DEMO_PRACTICE_ODS: PracticeConfig(
            name="Mile End Surgery (demo)", adapter="demo", delivery="feed", case_finding=True
        )
    }
)


@dataclass
class PracticeNetwork:
    practices: dict[str, PracticeConfig]
    sources: dict[str, GPRecordSource]
    directory: PatientDirectory
    # Every analyte the registered specialties read: how codes and units are understood.
    catalogue: AnalyteCatalogue
    mesh: MeshConfig | None = None
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    # How far back records are read, and how long all the upstream work behind one answer may take.
    record_history_years: int = 20
    upstream_deadline_seconds: float = 20.0
    # Where a converted request's referral goes; with no endpoint, referrals are held.
    referrals: ReferralsConfig = field(default_factory=ReferralsConfig)

    def source_for(self, ods: str) -> GPRecordSource:
        source = self.sources.get(ods)
        if source is None:
            raise NotFound(f"practice {ods} is not connected to this service")
        return source

    async def aclose(self) -> None:
        for source in self.sources.values():
            await source.aclose()
        await self.directory.aclose()
        for client in self.clients:
            await client.aclose()


def check_practices_file(settings: Settings) -> PracticesFile:
    """The configured practices, or the demo practice; raises ValueError naming the setting if invalid."""
    if settings.practices_file is None:
        return DEMO_PRACTICES
    return load_practices_file(settings.practices_file)


def _client(settings: Settings, practice: PracticeConfig) -> httpx.AsyncClient:
    timeout = min(practice.timeout_seconds, settings.upstream_timeout_seconds)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        limits=httpx.Limits(max_connections=practice.max_concurrent_requests),
    )


def _source(
    ods: str, practice: PracticeConfig, client: httpx.AsyncClient | None, today: date
) -> GPRecordSource:
    if practice.adapter == "demo":
        return DemoSource(practice_ods=ods, today=today)
    assert client is not None
    assert practice.base_url is not None
    retry = RetryPolicy(attempts=practice.attempts)
    if practice.adapter == "gp-connect":
        return GpConnectSource(practice_ods=ods, base_url=practice.base_url, client=client, retry=retry)
    return FhirR4Source(
        practice_ods=ods,
        base_url=practice.base_url,
        client=client,
        nhs_number_system=practice.nhs_number_system,
        patients_per_fetch=practice.patients_per_search,
        retry=retry,
    )


def _directory(
    config: DirectoryConfig,
    practices: dict[str, PracticeConfig],
    client: httpx.AsyncClient,
    factory: async_sessionmaker[AsyncSession],
    today: date,
) -> PatientDirectory:
    if config.adapter == "pds":
        assert config.base_url is not None
        return PdsDirectory(config.base_url, client)
    if config.adapter == "registry":
        return RegistryDirectory(factory)
    mapping = dict(config.patients)
    for ods, practice in practices.items():
        if practice.adapter == "demo":
            mapping.update(demo_registrations(ods, today))
    return StaticDirectory(mapping)


def build_practice_network(
    settings: Settings,
    factory: async_sessionmaker[AsyncSession],
    *,
    catalogue: AnalyteCatalogue,
    today: date | None = None,
) -> PracticeNetwork:
    today = today or date.today()
    config = check_practices_file(settings)
    clients: list[httpx.AsyncClient] = []
    sources: dict[str, GPRecordSource] = {}
    for ods, practice in config.practices.items():
        client = None if practice.adapter == "demo" else _client(settings, practice)
        if client is not None:
            clients.append(client)
        sources[ods] = _source(ods, practice, client, today)
    directory_client = httpx.AsyncClient(timeout=httpx.Timeout(settings.upstream_timeout_seconds))
    clients.append(directory_client)
    directory = _directory(config.directory, config.practices, directory_client, factory, today)
    return PracticeNetwork(
        config.practices,
        sources,
        directory,
        catalogue,
        config.mesh,
        clients,
        record_history_years=settings.record_history_years,
        upstream_deadline_seconds=settings.upstream_deadline_seconds,
        referrals=config.referrals,
    )
