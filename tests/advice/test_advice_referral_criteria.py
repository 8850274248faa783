"""Requests inside and outside the specialty's referral criteria, read from a mock GP on 127.0.0.1.

The demo practice is Mile End (A12345) here, served by the mock GP; Bow's system is down (nothing listens on
port 9), so its patients' criteria are unknown.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.demo import DEMO_PATIENTS, write_demo_practice
from adapters.mock_gp import FaultConfig, running_mock_gp
from app.advice.criteria import CRITERIA_PURPOSE
from app.core.config import Settings
from tests.advice.advice_calls import new_key, read, submit
from tests.advice.practices import BOW, BOW_PATIENT, MILE_END
from tests.support.identity import IdentityProvider, bearer
from tests.support.practices import practices_file_for

NORMAL_KIDNEYS = DEMO_PATIENTS[0].nhs_number
HEAVY_PROTEINURIA = DEMO_PATIENTS[8].nhs_number  # ACR 85 mg/mmol: NICE NG203's ACR 70 rule
REASON = "Patient anxious after a family member's kidney failure; asks whether any monitoring is needed."


@pytest.fixture(scope="module")
def demo_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo-practice")
    write_demo_practice(directory, date.today())
    return directory


@pytest.fixture
def gp_faults() -> FaultConfig:
    return FaultConfig()


@pytest.fixture
def upstream_deadline() -> float:
    return 20.0


@pytest.fixture
def gp_url(demo_records: Path, gp_faults: FaultConfig) -> Iterator[str]:
    with running_mock_gp(demo_records, gp_faults) as base_url:
        yield base_url


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, gp_url: str, upstream_deadline: float) -> Settings:
    path = practices_file_for(
        tmp_path / "criteria-practices",
        practices={MILE_END: gp_url, BOW: "http://127.0.0.1:9/fhir"},
        patients={NORMAL_KIDNEYS: MILE_END, HEAVY_PROTEINURIA: MILE_END, BOW_PATIENT: BOW},
    )
    return settings.model_copy(
        update={"practices_file": path, "upstream_deadline_seconds": upstream_deadline}
    )


async def _events(client: httpx.AsyncClient, identity: IdentityProvider, nhs_number: str) -> list[Any]:
    response = await client.get(f"/v1/audit?nhs_number={nhs_number}", headers=bearer(identity.admin()))
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["events"]))


def _criteria_reads(events: list[Any]) -> list[tuple[str, str, int]]:
    return [
        (event["specialty"], event["outcome"], event["status"])
        for event in events
        if event["purpose"] == CRITERIA_PURPOSE
    ]


async def test_a_request_inside_the_criteria_stores_those_the_summary_finds_met(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await submit(client, identity.practice(), nhs_number=HEAVY_PROTEINURIA)
    assert response.status_code == 201, response.text
    stored = (await read(client, identity.practice(), response.json()["id"])).json()
    assert "acr-70-or-more" in stored["criteria_met"]
    assert stored["outside_criteria_reason"] is None
    summary = await client.get(
        f"/v1/patients/{HEAVY_PROTEINURIA}/summaries/nephrology", headers=bearer(identity.consultant())
    )
    met = [c["code"] for c in summary.json()["referral_criteria"] if c["status"] == "met"]
    assert stored["criteria_met"] == met
    assert response.json()["criteria_met"] == met  # the 201 answers with them too
    assert _criteria_reads(await _events(client, identity, HEAVY_PROTEINURIA)) == [
        ("nephrology", "success", 200)
    ]


async def test_a_request_meeting_no_criterion_without_a_reason_is_422_and_not_kept(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await submit(client, identity.practice(), nhs_number=NORMAL_KIDNEYS)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert "meets none of the nephrology referral criteria" in problem["detail"]
    assert "outside_criteria_reason" in problem["detail"]
    listed = await client.get("/v1/advice-requests", headers=bearer(identity.practice()))
    assert listed.json()["items"] == []
    events = await _events(client, identity, NORMAL_KIDNEYS)
    # The record was read, so the read is on record although the request was refused.
    assert _criteria_reads(events) == [("nephrology", "success", 200)]
    assert (events[-1]["purpose"], events[-1]["outcome"], events[-1]["status"]) == (
        "request specialist advice",
        "failed",
        422,
    )


async def test_a_request_meeting_no_criterion_with_a_reason_is_kept_as_outside(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await submit(
        client, identity.practice(), nhs_number=NORMAL_KIDNEYS, outside_criteria_reason=REASON
    )
    assert response.status_code == 201, response.text
    stored = (await read(client, identity.consultant(), response.json()["id"])).json()
    assert stored["criteria_met"] == []
    assert stored["outside_criteria_reason"] == REASON


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001, "bell\x07"])
async def test_a_blank_overlong_or_unwritable_reason_is_422(
    client: httpx.AsyncClient, identity: IdentityProvider, reason: str
) -> None:
    response = await submit(
        client, identity.practice(), nhs_number=NORMAL_KIDNEYS, outside_criteria_reason=reason
    )
    assert response.status_code == 422
    assert response.json()["errors"]


async def test_a_request_whose_record_cannot_be_read_is_kept_with_the_criteria_unknown(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    bow = identity.practice(ods=BOW, sub="bow-system")
    response = await submit(client, bow, nhs_number=BOW_PATIENT)
    assert response.status_code == 201, response.text
    stored = (await read(client, bow, response.json()["id"])).json()
    assert stored["criteria_met"] is None
    assert _criteria_reads(await _events(client, identity, BOW_PATIENT)) == [("nephrology", "failed", 503)]


@pytest.mark.parametrize(("gp_faults", "upstream_deadline"), [(FaultConfig(latency_ms=4000), 0.5)])
async def test_the_criteria_read_is_bounded_by_the_upstream_deadline(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    started = time.monotonic()
    response = await submit(client, identity.practice(), nhs_number=HEAVY_PROTEINURIA)
    assert time.monotonic() - started < 3.0
    assert response.status_code == 201, response.text
    assert (await read(client, identity.practice(), response.json()["id"])).json()["criteria_met"] is None
    assert _criteria_reads(await _events(client, identity, HEAVY_PROTEINURIA)) == [
        ("nephrology", "failed", 504)
    ]


async def test_another_practices_patient_is_refused_before_their_record_is_read(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    response = await submit(
        client, identity.practice(ods=BOW, sub="bow-system"), nhs_number=HEAVY_PROTEINURIA
    )
    assert response.status_code == 403
    assert _criteria_reads(await _events(client, identity, HEAVY_PROTEINURIA)) == []


async def test_a_retried_request_gets_its_first_answer_without_reading_the_record_again(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    key = new_key()
    fields = {"nhs_number": NORMAL_KIDNEYS, "outside_criteria_reason": REASON, "key": key}
    first = await submit(client, identity.practice(), **fields)
    again = await submit(client, identity.practice(), **fields)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    listed = await client.get("/v1/advice-requests", headers=bearer(identity.practice()))
    assert [item["id"] for item in listed.json()["items"]] == [first.json()["id"]]
    assert len(_criteria_reads(await _events(client, identity, NORMAL_KIDNEYS))) == 1


async def test_a_refused_request_may_be_retried_with_its_key_once_a_reason_is_given(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    key = new_key()
    refused = await submit(client, identity.practice(), nhs_number=NORMAL_KIDNEYS, key=key)
    assert refused.status_code == 422
    # A refusal keeps nothing with the key; the corrected body is a new write under it.
    accepted = await submit(
        client, identity.practice(), nhs_number=NORMAL_KIDNEYS, key=key, outside_criteria_reason=REASON
    )
    assert accepted.status_code == 201, accepted.text
