"""A refused CDS Hooks call leaves a structured warning naming the issuer its token claimed and the reason;
never the token, never patient data, and no audit event: the audit log records identified accesses only."""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.logging import JsonFormatter
from tests.cds_hooks.ehr import Ehr, es384_key

RENAL = "/cds-services/renal-advice"
NHS_NUMBER = "9434765919"


async def _audit_events(app: FastAPI) -> int:
    async with app.state.session_factory() as session:
        return int((await session.execute(select(func.count()).select_from(AuditEvent))).scalar_one())


def _refusals(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [
        orjson.loads(formatter.format(record))
        for record in caplog.records
        if getattr(record, "event", None) == "cds-hooks-refused"
    ]


async def test_a_refused_call_is_logged_with_the_issuer_it_claimed_and_never_its_token(
    cds_app: FastAPI, ehr_client: httpx.AsyncClient, ehr: Ehr, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="vclinic.cds_hooks")
    forged = ehr.token(RENAL, key=es384_key("forged"))
    body = ehr.request("patient-1") | {"context": {"userId": "Practitioner/x", "patientId": NHS_NUMBER}}
    before = await _audit_events(cds_app)

    response = await ehr_client.post(RENAL, json=body, headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401
    [line] = _refusals(caplog)
    assert line["level"] == "warning"
    assert line["claimed_issuer"] == ehr.issuer
    assert line["status"] == 401
    assert line["reason"] == "the token is signed by an unknown key"
    assert line["route"] == RENAL
    text = orjson.dumps(line).decode()
    for secret in forged.split("."):
        assert secret not in text
    assert NHS_NUMBER not in caplog.text
    assert await _audit_events(cds_app) == before


async def test_an_unknown_issuer_is_logged_as_claimed_and_cut_to_length(
    ehr_client: httpx.AsyncClient, ehr: Ehr, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="vclinic.cds_hooks")
    claimed = "https://stranger.example/" + "x" * 500

    response = await ehr_client.get("/cds-services", headers=ehr.headers("/cds-services", iss=claimed))

    assert response.status_code == 401
    [line] = _refusals(caplog)
    assert line["claimed_issuer"] == claimed[:200]
    assert line["reason"] == "the token's issuer is not a trusted CDS client"


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz"])
async def test_a_missing_or_unreadable_token_is_logged_without_an_issuer(
    ehr_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, authorization: str | None
) -> None:
    caplog.set_level(logging.WARNING, logger="vclinic.cds_hooks")
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = await ehr_client.get("/cds-services", headers=headers)

    assert response.status_code == 401
    [line] = _refusals(caplog)
    assert line["claimed_issuer"] is None
    assert "dXNlcjpwYXNz" not in caplog.text
