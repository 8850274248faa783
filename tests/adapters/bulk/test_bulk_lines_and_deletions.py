"""Lines handed over unparsed, and the manifest's ``deleted`` files (Bulk Data 2.0, with ``_since``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from adapters.bulk import BulkDataClient, BulkTiming
from schemas.bulk import BulkExportProgress, BulkExportRequest, BulkFileUnreadable, BulkLine

BASE = "https://icb.example/fhir"
STATUS = "https://icb.example/jobs/1"
PATIENTS = "https://files.example/1/Patient.ndjson"
DELETED = "https://files.example/1/deleted.ndjson"
TIMING = BulkTiming(request_seconds=0.5, ceiling_seconds=5.0, first_poll_delay=0.01, max_poll_delay=0.05)
# As a server writes them: spacing and key order are the server's, and the reader must keep them.
PATIENT_LINES = [b'{"resourceType": "Patient",  "id": "p1"}', b'{"resourceType":"Patient","id":"p2"}']
GONE = {
    "resourceType": "Bundle",
    "type": "transaction",
    "entry": [{"request": {"method": "DELETE", "url": "Patient/p9"}}],
}


def answer(files: dict[str, bytes], *, deleted: bool = True) -> httpx.MockTransport:
    manifest: dict[str, Any] = {
        "transactionTime": "2026-11-22T09:00:00Z",
        "request": f"{BASE}/Patient/$export",
        "requiresAccessToken": False,
        "output": [{"type": "Patient", "url": PATIENTS}],
        "error": [],
    }
    if deleted:
        manifest["deleted"] = [{"type": "Bundle", "url": DELETED}]

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("$export"):
            return httpx.Response(202, headers={"Content-Location": STATUS})
        if request.method == "DELETE":
            return httpx.Response(202)
        if str(request.url) == STATUS:
            return httpx.Response(200, json=manifest)
        return httpx.Response(200, content=files[str(request.url)])

    return httpx.MockTransport(handle)


async def lines(transport: httpx.MockTransport, progress: BulkExportProgress) -> list[BulkLine]:
    async with httpx.AsyncClient(transport=transport) as http:
        client = BulkDataClient("practice A12345 bulk", BASE, http, timing=TIMING)
        async with client.export_batches(BulkExportRequest(("Patient",)), progress) as exported:
            return [line async for batch in exported for line in batch]


async def test_each_line_comes_as_the_server_wrote_it_then_the_deleted_bundles() -> None:
    files = {PATIENTS: b"\n".join(PATIENT_LINES) + b"\n", DELETED: orjson.dumps(GONE) + b"\n"}
    progress = BulkExportProgress()

    got = await lines(answer(files), progress)

    assert [(line.resource_type, line.line, line.deleted) for line in got] == [
        ("Patient", PATIENT_LINES[0], False),
        ("Patient", PATIENT_LINES[1], False),
        ("Bundle", orjson.dumps(GONE), True),
    ]
    assert [line.number for line in got] == [1, 2, 1]
    assert progress.transaction_time == datetime(2026, 11, 22, 9, tzinfo=UTC)


async def test_the_parsed_export_leaves_the_deleted_files_to_the_line_reader() -> None:
    files = {PATIENTS: b"\n".join(PATIENT_LINES) + b"\n", DELETED: orjson.dumps(GONE) + b"\n"}
    seen: list[str] = []

    def recorded(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return answer(files).handler(request)  # type: ignore[no-any-return]

    async with httpx.AsyncClient(transport=httpx.MockTransport(recorded)) as http:
        client = BulkDataClient("practice A12345 bulk", BASE, http, timing=TIMING)
        async with client.export(BulkExportRequest(("Patient",))) as resources:
            ids = [resource["id"] async for resource in resources]

    assert ids == ["p1", "p2"]
    assert DELETED not in seen


async def test_a_cut_off_last_line_is_still_caught_without_parsing_every_line() -> None:
    files = {PATIENTS: PATIENT_LINES[0] + b"\n" + PATIENT_LINES[1][:20]}

    with pytest.raises(BulkFileUnreadable, match="line 2 was cut off"):
        await lines(answer(files, deleted=False), BulkExportProgress())


async def test_a_files_lines_come_together_in_a_batch_not_one_at_a_time() -> None:
    files = {PATIENTS: b"\n".join(PATIENT_LINES) + b"\n", DELETED: orjson.dumps(GONE) + b"\n"}

    async with httpx.AsyncClient(transport=answer(files)) as http:
        client = BulkDataClient("practice A12345 bulk", BASE, http, timing=TIMING)
        async with client.export_batches(BulkExportRequest(("Patient",))) as exported:
            batches = [[line.line for line in batch] async for batch in exported]

    # The mock answers each file in one chunk, so each file's lines are one batch.
    assert batches == [PATIENT_LINES, [orjson.dumps(GONE)]]
