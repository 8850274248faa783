"""Referrals POSTed to a BaRS receiver's ``$process-message``, with the headers the BaRS proxy routes by.

Safe to repeat: the Bundle is the same every time it is built for a request (``adapters.referrals.bars``), and
receivers deduplicate on its id, so the HTTP client may retry and the outbox may redeliver.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

import orjson

from adapters.errors import UpstreamBadResponse, UpstreamNotFound
from adapters.http import UpstreamClient
from adapters.referrals.bars import InvalidReferral, referral_bundle
from schemas.advice import AdviceMessage

FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True, slots=True)
class ReferralReceiver:
    """Where referrals go: ``endpoint`` (base URL), the proxy's target, and our own and their endpoints."""

    endpoint: str
    target_identifier: str
    target_identifier_system: str
    source_endpoint: str
    destination_endpoint: str
    bearer_token: str | None = None
    nhs_number_system: str = "https://fhir.nhs.uk/Id/nhs-number"


def target_identifier_header(receiver: ReferralReceiver) -> str:
    """``NHSD-Target-Identifier``: Base64 of the JSON identifier of the receiving service."""
    identifier = {"value": receiver.target_identifier, "system": receiver.target_identifier_system}
    return base64.b64encode(orjson.dumps(identifier)).decode("ascii")


class BarsReferralDelivery:
    """Delivers converted requests' referrals to one receiver; the message's id names the Bundle."""

    def __init__(self, client: UpstreamClient, receiver: ReferralReceiver) -> None:
        self._client = client
        self._receiver = receiver
        self._url = f"{receiver.endpoint.rstrip('/')}/$process-message"

    async def deliver(self, message: AdviceMessage) -> str | None:
        receiver = self._receiver
        try:
            bundle = referral_bundle(
                message,
                source_endpoint=receiver.source_endpoint,
                destination_endpoint=receiver.destination_endpoint,
                nhs_number_system=receiver.nhs_number_system,
            )
        except InvalidReferral as exc:
            raise UpstreamBadResponse(self._client.source, f"not sent: {exc}") from None
        headers = {
            "Content-Type": FHIR_JSON,
            "Accept": FHIR_JSON,
            "NHSD-Target-Identifier": target_identifier_header(receiver),
            "X-Request-Id": str(uuid.uuid4()),
            # The same for every attempt at this message, so the receiver and proxy can trace retries.
            "X-Correlation-Id": bundle["id"],
        }
        if receiver.bearer_token:
            headers["Authorization"] = f"Bearer {receiver.bearer_token}"
        response = await self._client.send("POST", self._url, headers=headers, content=orjson.dumps(bundle))
        if response.is_success:
            return str(bundle["id"])
        what = f"POST $process-message: HTTP {response.status_code}"
        if response.status_code == 404:
            raise UpstreamNotFound(self._client.source, what)
        raise UpstreamBadResponse(self._client.source, f"{what}, the referral was refused")
