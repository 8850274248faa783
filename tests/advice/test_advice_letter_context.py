"""The advice letter carries the patient as their practice records them, and the specialty's chart."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from adapters.demo import DEMO_PATIENTS
from app.core.config import Settings
from app.main import create_app
from app.outbox.models import OutboxMessage
from tests.advice.advice_calls import answered, submitted
from tests.advice.practices import BOW, BOW_PATIENT
from tests.support.identity import IdentityProvider


@pytest.fixture
async def demo_app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings.model_copy(update={"practices_file": None}))
    async with app.router.lifespan_context(app):
        yield app


async def _queued(app: FastAPI) -> OutboxMessage:
    async with app.state.session_factory() as session:
        [message] = (await session.execute(select(OutboxMessage))).scalars()
    return message


async def test_the_letter_names_the_patient_and_charts_their_egfr(
    demo_app: FastAPI, identity: IdentityProvider
) -> None:
    patient = next(p for p in DEMO_PATIENTS if "Progressing G3b with diabetes" in p.story)
    transport = httpx.ASGITransport(app=demo_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        request_id = await submitted(client, identity.practice(ods="A12345"), nhs_number=patient.nhs_number)
        await answered(client, identity.consultant(), request_id)
    letter = (await _queued(demo_app)).payload
    assert letter["patient"]["name"] == patient.name
    assert letter["patient"]["family_name"] == patient.name.split()[-1]
    assert letter["patient"]["birth_date"] is not None
    assert len(letter["egfr_chart"]) >= 3
    assert all(point["value"] > 0 for point in letter["egfr_chart"])


async def test_advice_is_not_held_up_by_a_practice_that_cannot_answer(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice(ods=BOW), nhs_number=BOW_PATIENT)
    await answered(client, identity.consultant(), request_id)
    letter = (await _queued(app)).payload
    assert letter["patient"] == {
        "nhs_number": BOW_PATIENT,
        "name": None,
        "family_name": None,
        "birth_date": None,
    }
    assert letter["egfr_chart"] == []
