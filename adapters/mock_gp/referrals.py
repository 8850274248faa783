"""The mock GP's referral receiver: BaRS ``POST /$process-message``, with the mock's faults.

It checks what a BaRS receiver would (the ``NHSD-Target-Identifier`` header, a message Bundle that validates
against the FHIR R4 models), processes each message once, deduplicating on ``Bundle.id``, and answers a
repeat 200 as it did the first. ``GET /_referrals`` shows what it processed and how many posts it took
(``posts`` > ``processed`` when redeliveries were absorbed); ``DELETE /_referrals`` forgets it all.

Faults (``POST /_faults``) apply as to FHIR requests; ``resource_types: ["Bundle"]`` limits them to referrals.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.mock_gp.faults import FaultState
from adapters.referrals.bars import InvalidReferral, validate_referral_bundle

FHIR_JSON = "application/fhir+json"


_RECORDED_HEADERS = ("x-request-id", "x-correlation-id")


def _outcome(
    status: int, severity: str, code: str, text: str, headers: dict[str, str] | None = None
) -> Response:
    issue = {"severity": severity, "code": code, "diagnostics": text}
    body = {"resourceType": "OperationOutcome", "issue": [issue]}
    return Response(orjson.dumps(body), status, headers, media_type=FHIR_JSON)


class ReferralInbox:
    """The referrals one mock GP received; ``faults`` is read at each request, so ``POST /_faults`` counts."""

    def __init__(self, faults: FaultState) -> None:
        self.faults = faults
        self.posts = 0
        self.processed: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._seen: set[str] = set()

    def routes(self) -> list[Route]:
        """Before the mock's generic ``/fhir/{type}`` route, which would otherwise take the ``/fhir`` one."""
        return [
            Route("/$process-message", self.process_message, methods=["POST"]),
            Route("/fhir/$process-message", self.process_message, methods=["POST"]),
            Route("/_referrals", self.describe, methods=["GET"]),
            Route("/_referrals", self.clear, methods=["DELETE"]),
        ]

    async def process_message(self, request: Request) -> Response:
        faults = self.faults
        if faults.config.latency_ms:
            await asyncio.sleep(faults.config.latency_ms / 1000)
        if faults.applies_to("Bundle"):
            if faults.take("rate_limit_count"):
                retry_after = {"Retry-After": str(faults.config.retry_after_s)}
                return _outcome(429, "error", "throttled", "too many requests (injected)", retry_after)
            if faults.take("error_count") or faults.random_error():
                return _outcome(faults.config.error_status, "error", "transient", "injected failure")
        target = _target_identifier(request.headers.get("nhsd-target-identifier"))
        if target is None:
            return _outcome(400, "error", "required", "NHSD-Target-Identifier is missing or not Base64 JSON")
        try:
            bundle = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _outcome(400, "error", "structure", "the body is not JSON")
        try:
            validate_referral_bundle(bundle)
        except InvalidReferral as exc:
            return _outcome(422, "error", "invalid", str(exc))
        self.posts += 1
        self.headers.append({name: request.headers.get(name, "") for name in _RECORDED_HEADERS})
        message_id = str(bundle.get("id"))
        if message_id in self._seen:
            return _outcome(200, "information", "duplicate", f"message {message_id} was already processed")
        self._seen.add(message_id)
        self.processed.append(bundle)
        return _outcome(200, "information", "informational", f"message {message_id} processed")

    async def describe(self, request: Request) -> Response:
        return JSONResponse({"posts": self.posts, "processed": self.processed, "headers": self.headers})

    async def clear(self, request: Request) -> Response:
        self.posts = 0
        self.processed = []
        self.headers = []
        self._seen = set()
        return Response(status_code=204)


def _target_identifier(header: str | None) -> dict[str, Any] | None:
    if not header:
        return None
    try:
        decoded = orjson.loads(base64.b64decode(header, validate=True))
    except (binascii.Error, orjson.JSONDecodeError):
        return None
    return decoded if isinstance(decoded, dict) and decoded.get("value") else None
