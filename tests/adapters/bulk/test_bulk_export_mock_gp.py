"""The Bulk Data client against the mock GP's $export: every fault ends in a clear error or a whole export."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapters.bulk import BulkDataClient, BulkTiming
from adapters.demo import write_demo_practice
from adapters.mock_gp import running_mock_gp
from adapters.mock_gp.store import ResourceStore
from schemas.bulk import (
    BulkCodeFilter,
    BulkExportBusy,
    BulkExportProgress,
    BulkExportRefused,
    BulkExportRequest,
    BulkExportTimedOut,
    BulkFileExpired,
    BulkFileUnreadable,
)
from schemas.clinical import LOINC, SNOMED

TODAY = date(2026, 11, 22)
TYPES = ("Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement")
EVERYTHING = BulkExportRequest(TYPES)
EGFR = (
    BulkCodeFilter("Observation", SNOMED, "1011481000000105"),
    BulkCodeFilter("Observation", LOINC, "62238-1"),
)
ACR = BulkCodeFilter("Observation", LOINC, "14959-1")
FAST = BulkTiming(
    request_seconds=5.0, ceiling_seconds=10.0, first_poll_delay=0.01, max_poll_delay=0.05, cancel_seconds=2.0
)
MEMBERS = ("member-1", "member-2")


def _members_and_history() -> list[dict[str, Any]]:
    patients = [{"resourceType": "Patient", "id": pid} for pid in MEMBERS]
    observations = [
        {
            "resourceType": "Observation",
            "id": f"history-{year}",
            "meta": {"lastUpdated": f"{year}-01-01T00:00:00Z"},
            "code": {"coding": [{"system": LOINC, "code": "14959-1"}]},
            "subject": {"reference": "Patient/member-1"},
        }
        for year in (2020, 2026)
    ]
    group = {
        "resourceType": "Group",
        "id": "registered",
        "type": "person",
        "actual": True,
        "member": [{"entity": {"reference": f"Patient/{pid}"}} for pid in MEMBERS],
    }
    return [*patients, *observations, group]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("mock-gp-bulk")
    write_demo_practice(directory, TODAY)
    entries = [{"resource": resource} for resource in _members_and_history()]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    (directory / "members.json").write_bytes(orjson.dumps(bundle))
    return directory


@pytest.fixture(scope="module")
def store(data_dir: Path) -> ResourceStore:
    loaded = ResourceStore()
    loaded.load_directory(data_dir)
    return loaded


@pytest.fixture(scope="module")
def base_url(data_dir: Path) -> Iterator[str]:
    with running_mock_gp(data_dir) as url:
        yield url


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client
        await client.post(_control(base_url, "_faults"), json={})


def _control(base_url: str, name: str) -> str:
    return f"{base_url.removesuffix('/fhir')}/{name}"


async def set_faults(http: httpx.AsyncClient, base_url: str, **faults: Any) -> None:
    response = await http.post(_control(base_url, "_faults"), json=faults)
    assert response.status_code == 200, response.text


async def jobs(http: httpx.AsyncClient, base_url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await http.get(_control(base_url, "_exports"))).json()["jobs"]
    return found


async def until_polled(http: httpx.AsyncClient, base_url: str, polls: int) -> None:
    """Until the latest export job has been polled ``polls`` times: a few seconds at most."""
    for _ in range(500):
        latest = await jobs(http, base_url)
        if latest and latest[-1]["polls"] >= polls:
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"the export job was not polled {polls} times")


def bulk(base_url: str, http: httpx.AsyncClient, **kwargs: Any) -> BulkDataClient:
    kwargs.setdefault("timing", FAST)
    return BulkDataClient("practice A12345 bulk", base_url, http, **kwargs)


async def exported(
    client: BulkDataClient,
    request: BulkExportRequest = EVERYTHING,
    progress: BulkExportProgress | None = None,
) -> list[dict[str, Any]]:
    async with client.export(request, progress) as resources:
        return [resource async for resource in resources]


def keys(resources: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    return Counter((r["resourceType"], r["id"]) for r in resources)


def held(store: ResourceStore, *types: str) -> Counter[tuple[str, str]]:
    return keys([r for t in types for r in store.search(t, [])])


# --- a whole export -----------------------------------------------------------------------------------------


async def test_a_patient_level_export_yields_every_resource_once(
    base_url: str, http: httpx.AsyncClient, store: ResourceStore
) -> None:
    progress = BulkExportProgress()

    resources = await exported(bulk(base_url, http), progress=progress)

    assert keys(resources) == held(store, *TYPES)
    assert progress.status == "done"
    assert progress.resources_read == len(resources)
    assert progress.transaction_time is not None
    assert all(job["deleted"] for job in await jobs(http, base_url))


async def test_a_group_export_yields_only_the_groups_members(base_url: str, http: httpx.AsyncClient) -> None:
    resources = await exported(bulk(base_url, http, group_id="registered"))

    assert keys(resources) == Counter(
        [
            ("Patient", "member-1"),
            ("Patient", "member-2"),
            ("Observation", "history-2020"),
            ("Observation", "history-2026"),
        ]
    )


async def test_an_unknown_group_is_a_clear_refusal(base_url: str, http: httpx.AsyncClient) -> None:
    with pytest.raises(BulkExportRefused, match="HTTP 404: Group/nobody is not known"):
        await exported(bulk(base_url, http, group_id="nobody"))


async def test_since_exports_only_what_changed_after_it(base_url: str, http: httpx.AsyncClient) -> None:
    request = BulkExportRequest(("Observation",), since=datetime(2025, 1, 1, tzinfo=UTC))

    resources = await exported(bulk(base_url, http, group_id="registered"), request)

    assert keys(resources) == Counter([("Observation", "history-2026")])


@pytest.mark.parametrize("use_type_filter", [False, True])
async def test_codes_narrow_the_export_the_same_with_type_filter_on_or_off(
    base_url: str, http: httpx.AsyncClient, store: ResourceStore, use_type_filter: bool
) -> None:
    request = BulkExportRequest(("Patient", "Observation"), codes=(*EGFR, ACR))
    wanted = [(c.system, c.code) for c in (*EGFR, ACR)]
    expected = [
        o
        for o in store.search("Observation", [])
        if any((c.get("system"), c.get("code")) in wanted for c in o["code"]["coding"])
    ]

    resources = await exported(bulk(base_url, http, use_type_filter=use_type_filter), request)

    assert keys(resources) == held(store, "Patient") + keys(expected)
    assert len(expected) > 10


# --- the job's faults ---------------------------------------------------------------------------------------


async def test_a_slow_job_is_polled_until_its_manifest_arrives(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, export_polls=3, retry_after_s=0)
    progress = BulkExportProgress()

    await exported(bulk(base_url, http, group_id="registered"), progress=progress)

    assert progress.polls == 4
    assert progress.server_progress == "100% collected"


async def test_a_job_that_outlasts_the_ceiling_times_out_and_is_deleted(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, export_polls=10_000, retry_after_s=1)
    timing = BulkTiming(request_seconds=2.0, ceiling_seconds=0.3, first_poll_delay=0.01, max_poll_delay=0.05)

    with pytest.raises(BulkExportTimedOut, match=r"still running \(\d+% collected\) when its 0.3 s ran out"):
        await exported(bulk(base_url, http, timing=timing))

    assert (await jobs(http, base_url))[-1]["deleted"]


async def test_a_busy_server_is_asked_again_after_its_retry_after(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, export_busy_count=2, retry_after_s=0)

    assert await exported(bulk(base_url, http, group_id="registered"))


async def test_a_server_that_stays_busy_is_a_clear_error(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, export_busy_count=100, retry_after_s=0)

    with pytest.raises(BulkExportBusy, match=r"busy with another export \(429\) after 5 tries"):
        await exported(bulk(base_url, http))


async def test_another_export_running_gets_429_and_cancelling_the_first_deletes_its_job(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, export_polls=10_000, retry_after_s=0)
    first = asyncio.create_task(exported(bulk(base_url, http)))
    await until_polled(http, base_url, 2)
    busy = BulkTiming(request_seconds=2.0, ceiling_seconds=2.0, first_poll_delay=0.01, busy_attempts=2)

    with pytest.raises(BulkExportBusy):
        await exported(bulk(base_url, http, timing=busy))
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first

    assert (await jobs(http, base_url))[-1]["deleted"]


async def test_a_failed_job_is_a_clear_error_saying_why(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, export_fails=True)

    with pytest.raises(BulkExportRefused, match=r"the export job answered HTTP 500: .*ran out of disk"):
        await exported(bulk(base_url, http))


async def test_an_expired_file_is_a_clear_error(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, export_expired=True)

    with pytest.raises(BulkFileExpired, match=r"/Patient.ndjson has expired \(HTTP 404\)"):
        await exported(bulk(base_url, http))


async def test_a_truncated_file_names_the_file_and_its_last_line(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, export_truncated=True)

    with pytest.raises(BulkFileUnreadable, match=r"/Patient.ndjson line 2 was cut off"):
        await exported(bulk(base_url, http, group_id="registered"))

    assert (await jobs(http, base_url))[-1]["deleted"]


async def test_an_error_file_of_errors_fails_the_export_as_incomplete(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, export_error_file=True)

    expected = r"could not export everything: Observation/obs-17 could not be exported$"
    with pytest.raises(BulkExportRefused, match=expected):
        await exported(bulk(base_url, http))


async def test_an_error_file_of_warnings_is_kept_with_the_export(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, export_warning_file=True)
    progress = BulkExportProgress()

    await exported(bulk(base_url, http, group_id="registered"), progress=progress)

    assert [(i.severity, i.text) for i in progress.issues] == [("warning", "some codes were not mapped")]


async def test_files_that_require_a_token_are_fetched_with_it(base_url: str, http: httpx.AsyncClient) -> None:
    await set_faults(http, base_url, export_access_token="s3cret")

    async def token() -> str:
        return "s3cret"

    assert await exported(bulk(base_url, http, group_id="registered", access_token=token))


async def test_files_that_require_a_token_we_lack_are_a_clear_refusal(
    base_url: str, http: httpx.AsyncClient
) -> None:
    await set_faults(http, base_url, export_access_token="s3cret")

    with pytest.raises(BulkExportRefused, match="require an access token and none is configured"):
        await exported(bulk(base_url, http, group_id="registered"))


async def test_cancelling_a_download_part_way_deletes_the_job(base_url: str, http: httpx.AsyncClient) -> None:
    async def read_one() -> None:
        async with bulk(base_url, http).export(EVERYTHING) as resources:
            async for _ in resources:
                await asyncio.sleep(10)

    task = asyncio.create_task(read_one())
    await until_polled(http, base_url, 1)
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert (await jobs(http, base_url))[-1]["deleted"]
