"""Advice pushed to a practice's FHIR R4 endpoint: POST the Communication, then PUT the completed Task.

Both requests are safe to repeat, so the HTTP client may retry them: the Communication is a conditional
create (``If-None-Exist`` on its identifier) and a receiver that ignores that still deduplicates on the
identifier; the Task is a PUT of the whole resource.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from adapters.errors import UpstreamBadResponse, UpstreamNotFound
from adapters.fhir_push.resources import ADVICE_MESSAGE_SYSTEM, communication, task
from adapters.http import UpstreamClient
from schemas.advice import AdviceMessage

FHIR_JSON = "application/fhir+json"


class FhirPushDelivery:
    """Pushes advice to one practice's FHIR endpoint (``base_url``, e.g. ``https://gp.example/fhir``)."""

    def __init__(self, client: UpstreamClient, *, base_url: str, nhs_number_system: str) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._nhs_number_system = nhs_number_system

    async def deliver(self, message: AdviceMessage) -> str | None:
        await self._send(
            "POST",
            "Communication",
            communication(message, nhs_number_system=self._nhs_number_system),
            extra_headers={"If-None-Exist": f"identifier={ADVICE_MESSAGE_SYSTEM}|{message.message_id}"},
        )
        await self._send(
            "PUT",
            f"Task/{message.advice_request_id}",
            task(message, nhs_number_system=self._nhs_number_system),
        )
        return None

    async def _send(
        self,
        method: str,
        path: str,
        resource: dict[str, Any],
        *,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, **(extra_headers or {})}
        response = await self._client.send(
            method, f"{self._base_url}/{path}", headers=headers, content=orjson.dumps(resource)
        )
        if response.is_success:
            return response
        # Other answers the client hands back are 4xx: the practice's server refused what we sent.
        what = f"{method} {resource['resourceType']}: HTTP {response.status_code}"
        if response.status_code == 404:
            raise UpstreamNotFound(self._client.source, what)
        raise UpstreamBadResponse(self._client.source, f"{what}, the advice was refused")
