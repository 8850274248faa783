"""The kick-off, polling and download as the Bulk Data spec words them, against scripted answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import orjson
import pytest

from adapters.bulk import BulkDataClient, BulkTiming
from schemas.bulk import (
    BulkCodeFilter,
    BulkExportBusy,
    BulkExportRefused,
    BulkExportRequest,
    BulkExportTimedOut,
    BulkExportUnreachable,
    BulkFileUnreadable,
)

BASE = "https://icb.example/fhir"
STATUS = "https://icb.example/jobs/1"
FILE = "https://files.example/1/Patient.ndjson"
TIMING = BulkTiming(request_seconds=0.5, ceiling_seconds=5.0, first_poll_delay=0.01, max_poll_delay=0.05)
PATIENTS = [{"resourceType": "Patient", "id": f"p{i}"} for i in range(3)]
Handler = Callable[[httpx.Request], httpx.Response]


def manifest(*, count: int | None = 3, token: bool = False) -> dict[str, Any]:
    output: dict[str, Any] = {"type": "Patient", "url": FILE}
    if count is not None:
        output["count"] = count
    return {
        "transactionTime": "2026-11-22T09:00:00Z",
        "request": f"{BASE}/Patient/$export",
        "requiresAccessToken": token,
        "output": [output],
        "error": [],
    }


def server(seen: list[httpx.Request], *, body: dict[str, Any] | None = None) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("$export"):
            return httpx.Response(202, headers={"Content-Location": STATUS})
        if request.method == "DELETE":
            return httpx.Response(202)
        if str(request.url) == STATUS:
            return httpx.Response(200, json=body or manifest())
        return httpx.Response(200, content=b"".join(orjson.dumps(p) + b"\n" for p in PATIENTS))

    return answer


async def export(
    handler: Handler, request: BulkExportRequest | None = None, **kwargs: Any
) -> list[dict[str, Any]]:
    kwargs.setdefault("timing", TIMING)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = BulkDataClient("practice A12345 bulk", BASE, http, **kwargs)
        async with client.export(request or BulkExportRequest(("Patient", "Observation"))) as resources:
            return [r async for r in resources]


async def test_the_kick_off_asks_asynchronously_for_ndjson_of_the_named_types_since_a_time() -> None:
    seen: list[httpx.Request] = []
    since = datetime(2026, 10, 1, tzinfo=UTC)
    codes = (BulkCodeFilter("Observation", "http://loinc.org", "33914-3"),)

    await export(
        server(seen), BulkExportRequest(("Patient", "Observation"), since, codes), use_type_filter=True
    )

    kick_off = seen[0]
    assert kick_off.url.path == "/fhir/Patient/$export"
    assert kick_off.headers["prefer"] == "respond-async"
    assert kick_off.headers["accept"] == "application/fhir+json"
    assert kick_off.url.params.multi_items() == [
        ("_outputFormat", "application/fhir+ndjson"),
        ("_type", "Patient,Observation"),
        ("_since", "2026-10-01T00:00:00+00:00"),
        ("_typeFilter", "Observation?code=http://loinc.org|33914-3"),
    ]


async def test_a_practice_group_is_exported_at_group_level() -> None:
    seen: list[httpx.Request] = []

    await export(server(seen), group_id="a12345-registered")

    assert seen[0].url.path == "/fhir/Group/a12345-registered/$export"


async def test_the_job_is_deleted_once_its_files_are_read() -> None:
    seen: list[httpx.Request] = []

    assert await export(server(seen)) == PATIENTS

    assert [(r.method, str(r.url)) for r in seen[1:]] == [("GET", STATUS), ("GET", FILE), ("DELETE", STATUS)]


async def test_the_token_goes_to_the_files_only_when_the_manifest_requires_it() -> None:
    async def token() -> str:
        return "t0ken"

    for required in (False, True):
        seen: list[httpx.Request] = []
        await export(server(seen, body=manifest(token=required)), access_token=token)
        download = next(r for r in seen if str(r.url) == FILE)
        assert ("authorization" in download.headers) is required
        assert seen[0].headers["authorization"] == "Bearer t0ken"


async def test_a_file_with_fewer_resources_than_the_manifest_counts_is_incomplete() -> None:
    with pytest.raises(
        BulkFileUnreadable, match=r"Patient\.ndjson held 3 resources where the manifest counts 4"
    ):
        await export(server([], body=manifest(count=4)))


async def test_an_unreadable_manifest_is_a_clear_error() -> None:
    with pytest.raises(BulkFileUnreadable, match="the export manifest is not readable"):
        await export(server([], body={"output": []}))


async def test_a_busy_server_giving_an_http_date_is_asked_again_then() -> None:
    answers = iter(["busy", "ok"])
    seen: list[httpx.Request] = []
    ok = server(seen)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("$export") and next(answers) == "busy":
            when = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
            return httpx.Response(429, headers={"Retry-After": when})
        return ok(request)

    assert await export(handler) == PATIENTS


async def test_a_retry_after_beyond_the_ceiling_is_a_busy_error_at_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"})

    with pytest.raises(BulkExportBusy):
        await asyncio.wait_for(export(handler), timeout=2.0)


async def test_a_poll_that_hangs_is_bounded_by_the_request_timeout() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("$export"):
            return httpx.Response(202, headers={"Content-Location": STATUS})
        if request.method == "GET":
            await asyncio.sleep(30)
        return httpx.Response(202)

    with pytest.raises(BulkExportTimedOut, match=r"GET https://icb.example/jobs/1: no answer within 0.5 s"):
        await asyncio.wait_for(export(handler), timeout=3.0)


async def test_a_kick_off_refused_says_what_the_server_said() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "error", "code": "not-supported", "diagnostics": "_since is not supported"}
            ],
        }
        return httpx.Response(400, json=outcome)

    with pytest.raises(BulkExportRefused, match="the kick-off answered HTTP 400: _since is not supported"):
        await export(handler)


async def test_refused_credentials_are_a_refusal() -> None:
    with pytest.raises(BulkExportRefused, match=r"refused our credentials \(401\)"):
        await export(lambda request: httpx.Response(401))


async def test_an_unreachable_server_is_a_clear_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(BulkExportUnreachable, match="ConnectError"):
        await export(handler)


async def test_a_kick_off_without_a_status_url_is_refused() -> None:
    with pytest.raises(BulkExportRefused, match="accepted without a Content-Location"):
        await export(lambda request: httpx.Response(202))
