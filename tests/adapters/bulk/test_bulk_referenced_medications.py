"""The Medications an export's requests name and the export left out are read by ``_id`` from the same server,
so a medicine named by reference arrives with its code, as a search with ``_include`` would give it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from adapters.bulk import BulkDataClient, BulkTiming
from adapters.bulk.referenced import IDS_PER_READ
from schemas.bulk import BulkExportProgress, BulkExportRefused, BulkExportRequest, BulkLine, medication_id

BASE = "https://icb.example/fhir"
STATUS = "https://icb.example/jobs/1"
FILES = "https://files.example/1"
TIMING = BulkTiming(request_seconds=0.5, ceiling_seconds=5.0, first_poll_delay=0.01, max_poll_delay=0.05)
TYPES = ("Patient", "MedicationRequest", "Medication")
Handler = Callable[[httpx.Request], httpx.Response]


def _request(number: int, reference: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": f"r{number}",
        "status": "active",
        "intent": "order",
        "medicationReference": {"reference": reference, "display": "a medicine"},
        "subject": {"reference": "Patient/p1"},
    }


def _medication(medication_id: str) -> dict[str, Any]:
    return {"resourceType": "Medication", "id": medication_id, "code": {"text": f"medicine {medication_id}"}}


def _ndjson(resources: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(resource) + b"\n" for resource in resources)


def _bundle(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [{"resource": resource} for resource in resources],
    }


class _Server:
    """An export of one patient's requests, with ``carried`` Medications in its files; ``search`` answers the
    reads of the rest."""

    def __init__(
        self,
        requests: list[dict[str, Any]],
        carried: list[dict[str, Any]],
        search: Callable[[httpx.Request], httpx.Response] | None = None,
    ) -> None:
        self.files = {
            "Patient": [{"resourceType": "Patient", "id": "p1"}],
            "MedicationRequest": requests,
            "Medication": carried,
        }
        self.search = search or self._by_id
        self.seen: list[httpx.Request] = []

    @staticmethod
    def _by_id(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["_id"].split(",")
        return httpx.Response(200, json=_bundle([_medication(i) for i in ids]))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path.endswith("$export"):
            return httpx.Response(202, headers={"Content-Location": STATUS})
        if request.method == "DELETE":
            return httpx.Response(202)
        if str(request.url) == STATUS:
            output = [
                {"type": kind, "url": f"{FILES}/{kind}.ndjson", "count": len(items)}
                for kind, items in self.files.items()
                if items
            ]
            manifest = {
                "transactionTime": "2026-11-22T09:00:00Z",
                "request": f"{BASE}/Patient/$export",
                "requiresAccessToken": False,
                "output": output,
                "error": [],
            }
            return httpx.Response(200, json=manifest)
        if request.url.path.startswith("/fhir/Medication"):
            return self.search(request)
        kind = request.url.path.rsplit("/", 1)[-1].removesuffix(".ndjson")
        return httpx.Response(200, content=_ndjson(self.files[kind]))

    def reads(self) -> list[httpx.Request]:
        return [r for r in self.seen if r.url.path == "/fhir/Medication"]


async def _lines(handler: Handler, types: tuple[str, ...] = TYPES) -> list[BulkLine]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = BulkDataClient("practice A12345 bulk", BASE, http, timing=TIMING)
        progress = BulkExportProgress()
        async with client.export_batches(BulkExportRequest(types), progress) as batches:
            read = [line async for batch in batches for line in batch]
    assert progress.status == "done"
    return read


def _medication_ids(lines: list[BulkLine]) -> list[str]:
    return [orjson.loads(line.line)["id"] for line in lines if line.resource_type == "Medication"]


async def test_medications_the_export_left_out_are_read_by_id_once_each() -> None:
    requests = [
        _request(1, "Medication/m1"),
        _request(2, f"{BASE}/Medication/m2"),  # absolute, as some servers write them
        _request(3, "Medication/m1"),
        _request(4, "Medication/carried"),
    ]
    gp = _Server(requests, carried=[_medication("carried")])

    lines = await _lines(gp)

    assert sorted(_medication_ids(lines)) == ["carried", "m1", "m2"]
    assert [r.url.params["_id"] for r in gp.reads()] == ["m1,m2"]
    read = [line for line in lines if line.resource_type == "Medication" and line.resource is not None]
    assert {line.resource["code"]["text"] for line in read if line.resource} == {"medicine m1", "medicine m2"}


async def test_nothing_is_read_when_the_export_carried_every_named_medication_or_none_is_named() -> None:
    carried = _Server([_request(1, "Medication/m1")], carried=[_medication("m1")])
    contained = _Server([_request(1, "#med")], carried=[])

    assert _medication_ids(await _lines(carried)) == ["m1"]
    assert _medication_ids(await _lines(contained)) == []
    assert carried.reads() == contained.reads() == []


async def test_without_medication_in_the_types_no_read_is_made() -> None:
    gp = _Server([_request(1, "Medication/m1")], carried=[])

    lines = await _lines(gp, ("Patient", "MedicationRequest"))

    assert _medication_ids(lines) == []
    assert gp.reads() == []


async def test_many_named_medications_are_read_in_short_id_lists_and_across_pages() -> None:
    count = IDS_PER_READ + 3
    requests = [_request(n, f"Medication/m{n:03d}") for n in range(count)]

    def paged(request: httpx.Request) -> httpx.Response:
        if "page" in request.url.params:
            return httpx.Response(200, json=_bundle([_medication("m-last-page")]))
        ids = request.url.params["_id"].split(",")
        assert len(ids) <= IDS_PER_READ
        more = f"{BASE}/Medication?page=2" if len(ids) == IDS_PER_READ else None
        return httpx.Response(200, json=_bundle([_medication(i) for i in ids], more))

    gp = _Server(requests, carried=[], search=paged)

    ids = _medication_ids(await _lines(gp))

    assert sorted(ids) == sorted([f"m{n:03d}" for n in range(count)] + ["m-last-page"])
    assert len(gp.reads()) == 3


async def test_a_next_link_to_another_host_is_not_followed() -> None:
    def elsewhere(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "icb.example"
        return httpx.Response(200, json=_bundle([_medication("m1")], "https://attacker.example/fhir/x"))

    gp = _Server([_request(1, "Medication/m1")], carried=[], search=elsewhere)

    assert _medication_ids(await _lines(gp)) == ["m1"]
    assert len(gp.reads()) == 1


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (httpx.Response(404, json={"resourceType": "OperationOutcome"}), "HTTP 404"),
        (httpx.Response(200, json={"resourceType": "OperationOutcome"}), "did not answer a Bundle"),
        (httpx.Response(200, content=b"<html>"), "did not answer a Bundle"),
    ],
)
async def test_a_failed_read_of_the_named_medications_fails_the_export_saying_so(
    answer: httpx.Response, said: str
) -> None:
    gp = _Server([_request(1, "Medication/m1")], carried=[], search=lambda request: answer)

    with pytest.raises(BulkExportRefused) as raised:
        await _lines(gp)

    assert "medicines the export's requests name" in str(raised.value)
    assert said in str(raised.value)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("Medication/m1", "m1"),
        ("https://gp.example/fhir/Medication/m1", "m1"),
        ("Medication/m1/", "m1"),
        ("#contained", None),
        ("Substance/s1", None),
        ("Medication/", None),
    ],
)
def test_a_reference_names_a_medication_only_as_type_and_id(reference: str, expected: str | None) -> None:
    assert medication_id(reference) == expected
