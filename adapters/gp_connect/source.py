"""GP Connect Access Record: Structured (STU3): one practice's record through ``$gpc.getstructuredrecord``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import orjson

from adapters.errors import UpstreamBadResponse, UpstreamError
from adapters.gp_connect.bundle import ObservationFilter, StructuredRecord, read_bundle
from adapters.gp_connect.outcome import list_warnings, raise_for_error, unsupported_areas
from adapters.gp_connect.request import requested_areas, structured_record_parameters
from adapters.http import CircuitBreaker, RetryPolicy, UpstreamClient, decode_json
from adapters.one_by_one import fetch_one_by_one
from schemas.clinical import RecordQuery, SourcePatient, SourceRecord

TokenProvider = Callable[[], Awaitable[str]]
"""Gives the bearer token for one request (GP Connect wants a fresh JWT per request)."""

INTERACTION_ID = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"
FHIR_JSON = "application/fhir+json"
# Without the Spine Secure Proxy (the mock GP server, a demo) nobody checks ASIDs or the token, so these
# stand in; the token is no credential.
PLACEHOLDER_ASID = "000000000000"
PLACEHOLDER_TOKEN = "placeholder"  # noqa: S105


async def _placeholder_token() -> str:
    return PLACEHOLDER_TOKEN


class GpConnectSource:
    """A ``GPRecordSource`` for a practice that offers GP Connect Access Record: Structured."""

    adapter = "gp-connect"
    # Access Record: Structured is an operation on one patient.
    patients_per_fetch = 1

    def __init__(
        self,
        practice_ods: str,
        base_url: str,
        client: httpx.AsyncClient,
        *,
        from_asid: str = PLACEHOLDER_ASID,
        to_asid: str = PLACEHOLDER_ASID,
        token_provider: TokenProvider = _placeholder_token,
        retry: RetryPolicy = RetryPolicy(),
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.practice_ods = practice_ods
        self._url = base_url.rstrip("/") + "/Patient/$gpc.getstructuredrecord"
        self._from_asid = from_asid
        self._to_asid = to_asid
        self._token_provider = token_provider
        self._upstream = UpstreamClient(f"practice {practice_ods}", client, retry=retry, breaker=breaker)

    @property
    def _source(self) -> str:
        return self._upstream.source

    async def find_patient(self, nhs_number: str) -> SourcePatient:
        """The patient alone: the same operation with every clinical area off."""
        record = await self._structured_record(nhs_number, None)
        return self._checked_patient(record, nhs_number)

    async def fetch_records(
        self, nhs_numbers: Sequence[str], query: RecordQuery
    ) -> dict[str, SourceRecord | UpstreamError]:
        return await fetch_one_by_one(self.fetch_record, nhs_numbers, query)

    async def fetch_record(self, nhs_number: str, query: RecordQuery) -> SourceRecord:
        body = structured_record_parameters(nhs_number, query)
        record = await self._structured_record(nhs_number, body, ObservationFilter(query))
        failures, outcome_warnings = unsupported_areas(record.outcomes, requested_areas(body))
        return SourceRecord(
            practice_ods=self.practice_ods,
            adapter=self.adapter,
            patient=self._checked_patient(record, nhs_number),
            observations=record.observations,
            medications=record.medications,
            conditions=record.conditions,
            upstream_warnings=[*list_warnings(record.lists), *outcome_warnings],
            failures=failures,
        )

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to whoever created it (the app's lifespan)."""

    async def _structured_record(
        self, nhs_number: str, body: dict[str, Any] | None, wanted: ObservationFilter | None = None
    ) -> StructuredRecord:
        content = orjson.dumps(body if body is not None else structured_record_parameters(nhs_number, None))
        # A read-only operation despite the POST, so retrying it is safe.
        response = await self._upstream.send(
            "POST", self._url, headers=await self._headers(), content=content, idempotent=True
        )
        raise_for_error(self._source, response)
        bundle = decode_json(self._source, response)
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise UpstreamBadResponse(self._source, "the structured record is not a FHIR Bundle")
        return read_bundle(bundle, wanted)

    async def _headers(self) -> dict[str, str]:
        return {
            "Accept": FHIR_JSON,
            "Content-Type": f"{FHIR_JSON};charset=utf-8",
            "Ssp-TraceID": str(uuid.uuid4()),
            "Ssp-From": self._from_asid,
            "Ssp-To": self._to_asid,
            "Ssp-InteractionID": INTERACTION_ID,
            "Authorization": f"Bearer {await self._token_provider()}",
        }

    def _checked_patient(self, record: StructuredRecord, nhs_number: str) -> SourcePatient:
        # Showing a consultant another patient's record is the worst failure there is: never trust, check.
        if record.patient is None:
            raise UpstreamBadResponse(self._source, "the structured record has no Patient")
        if record.patient.nhs_number != nhs_number:
            raise UpstreamBadResponse(self._source, "the structured record is for a different NHS number")
        return record.patient
