"""The CDS Hooks 2.0 specification's own example calls, and the demo EHR that dev mode trusts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from jose import jwt

from app.cds_hooks.dev_ehr import ensure_dev_ehr_key, mint_dev_ehr_token
from app.cli import main
from app.core.config import Settings, get_settings
from app.main import create_app
from tests.cds_hooks.ehr import BASE_URL, Ehr

# cds-hooks.hl7.org/2.0 §"HTTP Request", example for patient-view.
SPEC_PATIENT_VIEW: dict[str, Any] = {
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "http://hooks.smarthealthit.org:9080",
    "hook": "patient-view",
    "fhirAuthorization": {
        "access_token": "some-opaque-fhir-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Observation.read",
        "subject": "cds-service4",
    },
    "context": {"userId": "Practitioner/example", "patientId": "1288992"},
    "prefetch": {
        "patientToGreet": {
            "resourceType": "Patient",
            "gender": "male",
            "birthDate": "1925-12-23",
            "id": "1288992",
            "active": True,
        }
    },
}
# §"Feedback", example of an overridden card.
SPEC_FEEDBACK: dict[str, Any] = {
    "feedback": [
        {
            "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
            "outcome": "overridden",
            "overrideReason": {
                "reason": {
                    "code": "reason-code-provided-by-service",
                    "system": "http://example.org/cds-services/fhir/CodeSystem/override-reasons",
                },
                "userComment": "clarification of user's override reason",
            },
            "outcomeTimestamp": "2020-12-11T00:00:00Z",
        }
    ]
}
RENAL = "/cds-services/renal-advice"


async def test_the_spec_example_call_is_412_as_its_server_is_not_allowed(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    response = await ehr_client.post(RENAL, json=SPEC_PATIENT_VIEW, headers=ehr.headers(RENAL))

    assert response.status_code == 412
    assert "allow-list" in response.json()["detail"]


async def test_the_spec_example_call_without_a_server_is_412(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    call = {k: v for k, v in SPEC_PATIENT_VIEW.items() if k not in ("fhirServer", "fhirAuthorization")}

    response = await ehr_client.post(RENAL, json=call, headers=ehr.headers(RENAL))

    assert response.status_code == 412


async def test_the_spec_example_feedback_names_a_card_we_never_issued(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    path = f"{RENAL}/feedback"

    response = await ehr_client.post(path, json=SPEC_FEEDBACK, headers=ehr.headers(path))

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_another_hook_is_refused_as_invalid(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    call = {**SPEC_PATIENT_VIEW, "hook": "order-sign"}

    response = await ehr_client.post(RENAL, json=call, headers=ehr.headers(RENAL))

    assert response.status_code == 422


async def test_dev_mode_trusts_the_demo_ehr_it_made(sqlite_url: str, tmp_path: Path) -> None:
    settings = Settings(
        dev_mode=True, database_url=sqlite_url, var_dir=tmp_path / "var", public_base_url=BASE_URL
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            token = mint_dev_ehr_token(settings, "/cds-services")
            response = await client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text
    assert "renal-advice" in {service["id"] for service in response.json()["services"]}


def test_cds_token_signs_for_the_exact_endpoint_with_the_demo_ehr_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in [key for key in os.environ if key.startswith("VCLINIC_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("VCLINIC_DEV_MODE", "true")
    monkeypatch.setenv("VCLINIC_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        ensure_dev_ehr_key(get_settings())
        assert main(["cds-token", "--service", "renal-advice", "--feedback"]) == 0
    finally:
        get_settings.cache_clear()

    token = capsys.readouterr().out.strip()
    header, claims = jwt.get_unverified_header(token), jwt.get_unverified_claims(token)
    assert header["alg"] == "ES384"
    assert claims["aud"] == "http://127.0.0.1:8000/cds-services/renal-advice/feedback"
    assert claims["exp"] - claims["iat"] <= 300
