"""PDS FHIR R4: which practice a patient is registered with (``GET /Patient/{nhsNumber}``).

Facts from the Personal Demographics Service FHIR API (NHSDigital/personal-demographics-service-api):
the registered practice is ``generalPractitioner[0].identifier`` under the ODS code system, with a period;
a restricted patient (``meta.security`` code R) has ``generalPractitioner`` removed; 404 RESOURCE_NOT_FOUND or
INVALIDATED_RESOURCE for no such patient; 400 INVALID_RESOURCE_ID for a malformed NHS number.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from adapters.errors import PatientNotFound, UpstreamBadResponse
from adapters.http import CircuitBreaker, RetryPolicy, UpstreamClient, decode_json
from schemas.clinical import ODS_ORGANISATION_SYSTEM

TokenProvider = Callable[[], Awaitable[str]]
"""Gives the bearer token of the application-restricted (signed JWT) OAuth flow."""

# HL7 v3 Confidentiality as PDS uses it: U unrestricted, R restricted, V very restricted; REDACTED appears on
# records PDS no longer shows. Any but U means the directory may not say where the patient is registered.
_RESTRICTED_CODES = frozenset({"R", "V", "REDACTED"})
_NOT_FOUND_CODES = frozenset({"RESOURCE_NOT_FOUND", "INVALIDATED_RESOURCE"})


class PdsDirectory:
    """A ``PatientDirectory`` backed by PDS FHIR."""

    def __init__(
        self,
        base_url: str,
        client: httpx.AsyncClient,
        *,
        token_provider: TokenProvider | None = None,
        retry: RetryPolicy = RetryPolicy(),
        breaker: CircuitBreaker | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token_provider = token_provider
        self._today = today
        self._upstream = UpstreamClient("pds", client, retry=retry, breaker=breaker)

    async def registered_practice(self, nhs_number: str) -> str | None:
        """The ODS code of the practice the patient is registered with today, or None when PDS may not say."""
        url = f"{self._base_url}/Patient/{quote(nhs_number, safe='')}"
        response = await self._upstream.send("GET", url, headers=await self._headers())
        if response.status_code >= 400:
            _raise_for_error(self._upstream.source, response)
        patient = decode_json(self._upstream.source, response)
        if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
            raise UpstreamBadResponse(self._upstream.source, "the answer is not a FHIR Patient")
        # A superseded NHS number answers 200 with the current record (another id); its practice still holds.
        if _restricted(patient):
            return None
        return _current_practice(patient, self._today())

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to whoever created it (the app's lifespan)."""

    async def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/fhir+json", "X-Request-ID": str(uuid.uuid4())}
        if self._token_provider is not None:
            headers["Authorization"] = f"Bearer {await self._token_provider()}"
        return headers


def _raise_for_error(source: str, response: httpx.Response) -> None:
    codes = _error_codes(response)
    status = response.status_code
    if status == 404 or _NOT_FOUND_CODES & set(codes):
        raise PatientNotFound(source, f"HTTP {status}: {codes[0] if codes else 'not found'}")
    if "INVALID_RESOURCE_ID" in codes:
        raise UpstreamBadResponse(source, f"HTTP {status}: PDS rejected the NHS number")
    raise UpstreamBadResponse(source, f"HTTP {status}: {codes[0] if codes else 'no error code'}")


def _error_codes(response: httpx.Response) -> list[str]:
    try:
        outcome = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(outcome, dict):
        return []
    codes = []
    for issue in outcome.get("issue") or ():
        details = issue.get("details") if isinstance(issue, dict) else None
        for coding in (details.get("coding") or ()) if isinstance(details, dict) else ():
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                codes.append(coding["code"])
    return codes


def _restricted(patient: dict[str, Any]) -> bool:
    meta = patient.get("meta")
    labels = meta.get("security") or () if isinstance(meta, dict) else ()
    return any(isinstance(label, dict) and label.get("code") in _RESTRICTED_CODES for label in labels)


def _current_practice(patient: dict[str, Any], today: date) -> str | None:
    practitioners = patient.get("generalPractitioner")
    if not isinstance(practitioners, list) or not practitioners or not isinstance(practitioners[0], dict):
        return None
    identifier = practitioners[0].get("identifier")
    if not isinstance(identifier, dict) or identifier.get("system") != ODS_ORGANISATION_SYSTEM:
        return None
    code = identifier.get("value")
    if not isinstance(code, str) or not code:
        return None
    return code if _covers(identifier.get("period"), today) else None


def _covers(period: Any, today: date) -> bool:
    """Whether a registration period includes today; an absent bound is open, an unreadable one is not."""
    if period is None:
        return True
    if not isinstance(period, dict):
        return False
    try:
        start = date.fromisoformat(period["start"][:10]) if "start" in period else date.min
        end = date.fromisoformat(period["end"][:10]) if "end" in period else date.max
    except (TypeError, ValueError):
        return False
    return start <= today <= end
