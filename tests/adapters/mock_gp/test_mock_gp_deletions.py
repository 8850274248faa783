"""The mock GP deletes resources (``DELETE /fhir/<Type>/<id>``), and its ``$export`` with ``_since`` lists
them in the manifest's ``deleted`` files (Bulk Data 2.0), served and faulted as the other files are.

Each test has a mock GP of its own, so what one deletes no other sees."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapters.bulk import BulkDataClient, BulkTiming
from adapters.mock_gp import running_mock_gp
from schemas.bulk import BulkExportProgress, BulkExportRefused, BulkExportRequest, BulkFileExpired

LONG_AGO = "2020-01-01T00:00:00Z"
TYPES = ("Patient", "Observation", "Condition")
FAST = BulkTiming(
    request_seconds=5.0, ceiling_seconds=10.0, first_poll_delay=0.01, max_poll_delay=0.05, cancel_seconds=2.0
)


def _resources() -> list[dict[str, Any]]:
    """Two patients, each with a result and a problem, all last changed long ago; the Group holds only p1."""
    meta = {"lastUpdated": LONG_AGO}
    found: list[dict[str, Any]] = []
    for patient_id in ("p1", "p2"):
        subject = {"reference": f"Patient/{patient_id}"}
        found += [
            {"resourceType": "Patient", "id": patient_id, "meta": meta},
            {"resourceType": "Observation", "id": f"{patient_id}-acr", "meta": meta, "subject": subject},
            {"resourceType": "Condition", "id": f"{patient_id}-ckd", "meta": meta, "subject": subject},
        ]
    group = {"resourceType": "Group", "id": "registered", "member": [{"entity": {"reference": "Patient/p1"}}]}
    return [*found, group]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("mock-gp-deletions")
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in _resources()],
    }
    (directory / "practice.json").write_bytes(orjson.dumps(bundle))
    return directory


@pytest.fixture
def base_url(data_dir: Path) -> Iterator[str]:
    with running_mock_gp(data_dir) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


async def delete(http: httpx.AsyncClient, base_url: str, *references: str) -> datetime:
    """Deletes each ``Type/id``; the moment before the first, for a ``_since`` that sees them all."""
    before = datetime.now(UTC)
    for reference in references:
        response = await http.delete(f"{base_url}/{reference}")
        assert response.status_code == 204, response.text
    return before


async def manifest(
    http: httpx.AsyncClient, base_url: str, *, at: str = "Patient", **params: str
) -> dict[str, Any]:
    """A finished job's manifest (the mock answers the first poll when no ``export_polls`` are set)."""
    kick_off = await http.get(f"{base_url}/{at}/$export", params=params, headers={"Prefer": "respond-async"})
    assert kick_off.status_code == 202, kick_off.text
    status = await http.get(kick_off.headers["content-location"])
    assert status.status_code == 200, status.text
    found: dict[str, Any] = status.json()
    return found


async def deleted_bundles(http: httpx.AsyncClient, found: dict[str, Any]) -> list[dict[str, Any]]:
    bundles: list[dict[str, Any]] = []
    for file in found["deleted"]:
        assert file["type"] == "Bundle"
        response = await http.get(file["url"])
        assert response.status_code == 200, response.text
        bundles += [orjson.loads(line) for line in response.content.splitlines()]
    return bundles


def deleted_urls(bundles: list[dict[str, Any]]) -> list[str]:
    return [entry["request"]["url"] for bundle in bundles for entry in bundle["entry"]]


async def set_faults(http: httpx.AsyncClient, base_url: str, **faults: Any) -> None:
    response = await http.post(f"{base_url.removesuffix('/fhir')}/_faults", json=faults)
    assert response.status_code == 200, response.text


# --- DELETE -------------------------------------------------------------------------------------------------


async def test_a_deleted_resource_is_gone_from_reads_and_searches(
    base_url: str, http: httpx.AsyncClient
) -> None:
    response = await http.delete(f"{base_url}/Observation/p1-acr")

    assert (response.status_code, response.content) == (204, b"")
    gone = await http.get(f"{base_url}/Observation/p1-acr")
    assert gone.status_code == 410
    assert gone.json()["issue"][0]["code"] == "deleted"
    searched = (await http.get(f"{base_url}/Observation", params={"patient": "p1"})).json()
    assert searched["total"] == 0
    assert (await http.get(f"{base_url}/Observation", params={"patient": "p2"})).json()["total"] == 1


async def test_deleting_what_is_not_held_is_404_with_an_outcome(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await delete(http, base_url, "Condition/p1-ckd")

    again = await http.delete(f"{base_url}/Condition/p1-ckd")
    never = await http.delete(f"{base_url}/Condition/never")

    for response in (again, never):
        assert response.status_code == 404
        assert response.json()["resourceType"] == "OperationOutcome"


async def test_deleting_a_patient_leaves_their_resources(base_url: str, http: httpx.AsyncClient) -> None:
    await delete(http, base_url, "Patient/p1")

    assert (await http.get(f"{base_url}/Patient/p1")).status_code == 410
    assert (await http.get(f"{base_url}/Observation", params={"patient": "p1"})).json()["total"] == 1
    assert (await http.get(f"{base_url}/Observation/p1-acr")).status_code == 200


# --- $export's deleted files --------------------------------------------------------------------------------


async def test_an_export_since_lists_each_resource_deleted_since_in_a_transaction_bundle(
    base_url: str, http: httpx.AsyncClient
) -> None:
    since = await delete(http, base_url, "Observation/p1-acr", "Patient/p2")

    found = await manifest(http, base_url, _type=",".join(TYPES), _since=since.isoformat())
    bundles = await deleted_bundles(http, found)

    assert found["output"] == []
    assert [file["count"] for file in found["deleted"]] == [2]
    assert deleted_urls(bundles) == ["Observation/p1-acr", "Patient/p2"]
    assert {bundle["type"] for bundle in bundles} == {"transaction"}
    assert {entry["request"]["method"] for bundle in bundles for entry in bundle["entry"]} == {"DELETE"}
    assert all(datetime.fromisoformat(bundle["meta"]["lastUpdated"]) > since for bundle in bundles)


async def test_without_since_or_before_the_deletions_no_deleted_file_is_listed(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await delete(http, base_url, "Observation/p1-acr")
    after = datetime.now(UTC)

    whole = await manifest(http, base_url)
    later = await manifest(http, base_url, _since=after.isoformat())

    assert whole["deleted"] == []
    assert {file["type"] for file in whole["output"]} == set(TYPES)
    assert later["deleted"] == []


async def test_only_the_exported_types_and_the_groups_members_deletions_are_listed(
    base_url: str, http: httpx.AsyncClient
) -> None:
    since = (await delete(http, base_url, "Observation/p1-acr", "Condition/p2-ckd", "Patient/p2")).isoformat()

    patients = await manifest(http, base_url, _type="Patient", _since=since)
    group = await manifest(http, base_url, at="Group/registered", _type=",".join(TYPES), _since=since)

    assert deleted_urls(await deleted_bundles(http, patients)) == ["Patient/p2"]
    assert deleted_urls(await deleted_bundles(http, group)) == ["Observation/p1-acr"]


async def test_the_bulk_client_reads_the_deleted_files_after_the_output_marked_deleted(
    base_url: str, http: httpx.AsyncClient
) -> None:
    since = await delete(http, base_url, "Condition/p2-ckd", "Patient/p1")
    client = BulkDataClient("practice A12345 bulk", base_url, http, timing=FAST)

    async with client.export_batches(BulkExportRequest(TYPES, since=since)) as batches:
        got = [line async for batch in batches for line in batch]

    assert [line.deleted for line in got] == [True, True]
    assert deleted_urls([orjson.loads(line.line) for line in got]) == ["Condition/p2-ckd", "Patient/p1"]


async def test_an_expired_deleted_file_is_a_clear_error(base_url: str, http: httpx.AsyncClient) -> None:
    since = await delete(http, base_url, "Patient/p1")
    await set_faults(http, base_url, export_expired=True)
    client = BulkDataClient("practice A12345 bulk", base_url, http, timing=FAST)

    with pytest.raises(BulkFileExpired, match=r"/deleted.ndjson has expired \(HTTP 404\)"):
        async with client.export_batches(BulkExportRequest(TYPES, since=since)) as batches:
            [line async for batch in batches for line in batch]


async def test_a_deleted_file_that_requires_a_token_is_served_only_with_it(
    base_url: str, http: httpx.AsyncClient
) -> None:
    since = await delete(http, base_url, "Patient/p1")
    await set_faults(http, base_url, export_access_token="s3cret")
    request = BulkExportRequest(TYPES, since=since)

    async def token() -> str:
        return "s3cret"

    with_token = BulkDataClient("practice A12345 bulk", base_url, http, timing=FAST, access_token=token)
    async with with_token.export_batches(request, BulkExportProgress()) as batches:
        got = [line.line async for batch in batches for line in batch]
    without = BulkDataClient("practice A12345 bulk", base_url, http, timing=FAST)

    assert deleted_urls([orjson.loads(line) for line in got]) == ["Patient/p1"]
    with pytest.raises(BulkExportRefused, match="require an access token and none is configured"):
        async with without.export_batches(request) as batches:
            [line async for batch in batches for line in batch]
