"""A service call's prefetch may hold years of results, so its body has its own, larger bound; feedback and
every other route keep the general one, and past either the answer is 413 problem+json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson

from adapters.demo.practice import DEMO_PATIENTS
from app.core.config import Settings
from app.main import create_app
from tests.cds_hooks.ehr import BASE_URL, Ehr

RENAL = "/cds-services/renal-advice"
GENERAL_BOUND = 2048
ROOM = 1000
FALLING_EGFR = next(patient.nhs_number for patient in DEMO_PATIENTS if patient.name == "Ian Murray")


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http


def _padded(body: dict[str, Any], padding: int) -> bytes:
    # A prefetch key no service asks for: read past, and only its size counts.
    return orjson.dumps({**body, "prefetch": {**body["prefetch"], "padding": {"text": "x" * padding}}})


async def _post(client: httpx.AsyncClient, ehr: Ehr, path: str, content: bytes) -> httpx.Response:
    headers = {**ehr.headers(path), "Content-Type": "application/json"}
    return await client.post(path, content=content, headers=headers)


async def _prefetched_call(client: httpx.AsyncClient, ehr: Ehr) -> dict[str, Any]:
    discovery = await client.get("/cds-services", headers=ehr.headers("/cds-services"))
    [templates] = [s["prefetch"] for s in discovery.json()["services"] if s["id"] == "renal-advice"]
    patient_id = ehr.patient_id(FALLING_EGFR)
    return ehr.request(patient_id, prefetch=ehr.prefetch(templates, patient_id))


async def test_a_call_up_to_its_own_bound_is_read_and_one_byte_more_is_413(
    cds_settings: Settings, ehr: Ehr
) -> None:
    async with _client(cds_settings) as probe:
        body = await _prefetched_call(probe, ehr)
    bound = len(_padded(body, 0)) + ROOM
    assert bound > GENERAL_BOUND
    settings = cds_settings.model_copy(update={"max_body_bytes": GENERAL_BOUND, "cds_max_body_bytes": bound})

    async with _client(settings) as client:
        at_bound = await _post(client, ehr, RENAL, _padded(body, ROOM))
        over = await _post(client, ehr, RENAL, _padded(body, ROOM + 1))

    assert len(_padded(body, ROOM)) == bound
    assert at_bound.status_code == 200, at_bound.text
    assert at_bound.json()["cards"]
    assert over.status_code == 413
    assert over.headers["content-type"].startswith("application/problem+json")
    assert str(bound) in over.json()["detail"]


async def test_feedback_keeps_the_general_bound(cds_settings: Settings, ehr: Ehr) -> None:
    settings = cds_settings.model_copy(
        update={"max_body_bytes": GENERAL_BOUND, "cds_max_body_bytes": 64 * 1024}
    )
    path = f"{RENAL}/feedback"
    feedback = {"feedback": [{"card": "x" * GENERAL_BOUND, "outcome": "accepted"}]}

    async with _client(settings) as client:
        response = await _post(client, ehr, path, orjson.dumps(feedback))

    assert response.status_code == 413
    assert str(GENERAL_BOUND) in response.json()["detail"]


def test_the_call_bound_is_a_setting_of_8_mib_by_default(cds_settings: Settings) -> None:
    assert Settings.model_fields["cds_max_body_bytes"].default == 8 * 1024 * 1024
    assert cds_settings.cds_max_body_bytes == 8 * 1024 * 1024
