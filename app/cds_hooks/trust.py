"""Which EHRs the CDS Hooks services trust: the practices file's ``[cds_clients.NAME]``, with their keys.

Each client's keys come from its own JWKS (file or URL), never the service's user-token keys, so a key
trusted for one EHR can never sign for another. A ``jku`` header names a key set only when that URL is on
the client's own ``jku`` list; each listed URL has its own cached key set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.auth.keys import KeySet
from app.core.config import Settings
from app.records.practices import CdsClientConfig, PracticeConfig


@dataclass(frozen=True, slots=True)
class CdsClient:
    name: str
    config: CdsClientConfig
    keys: KeySet
    jku_keys: Mapping[str, KeySet] = field(default_factory=dict)
    # The FHIR servers the service may read on this client's behalf, without a trailing slash.
    fhir_servers: frozenset[str] = frozenset()

    @property
    def ods(self) -> str:
        return self.config.ods


class CdsTrust:
    """The trusted EHRs by issuer."""

    def __init__(self, clients: Mapping[str, CdsClient]) -> None:
        self._by_issuer = {client.config.issuer: client for client in clients.values()}

    def client_for(self, issuer: object) -> CdsClient | None:
        return self._by_issuer.get(issuer) if isinstance(issuer, str) else None


def _key_set(source: str, settings: Settings, http: httpx.AsyncClient) -> KeySet:
    return KeySet(
        [source],
        client=http,
        max_age_seconds=settings.jwks_refresh_seconds,
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
    )


def allowed_fhir_servers(config: CdsClientConfig, practice: PracticeConfig | None) -> frozenset[str]:
    """The client's ``fhir_servers`` and its practice's own FHIR ``base_url``, as compared: no trailing /."""
    bases = list(config.fhir_servers)
    if practice is not None and practice.adapter == "fhir-r4" and practice.base_url:
        bases.append(practice.base_url)
    return frozenset(base.rstrip("/") for base in bases)


def build_cds_trust(
    clients: Mapping[str, CdsClientConfig],
    practices: Mapping[str, PracticeConfig],
    *,
    settings: Settings,
    http: httpx.AsyncClient,
) -> CdsTrust:
    return CdsTrust(
        {
            name: CdsClient(
                name,
                config,
                _key_set(_resolved(config.jwks), settings, http),
                {url: _key_set(url, settings, http) for url in config.jku},
                allowed_fhir_servers(config, practices.get(config.ods)),
            )
            for name, config in clients.items()
        }
    )


def _resolved(source: str) -> str:
    if source.startswith(("https://", "http://")):
        return source
    return str(Path(source).expanduser())
