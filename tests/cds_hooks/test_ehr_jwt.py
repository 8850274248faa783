"""Every CDS Hooks call carries a JWT the EHR signed (CDS Hooks 2.0, "Trusting CDS Clients"); each way it
can be wrong is a 401 problem+json, and a token is good for one call across every worker."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from jose import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.core.config import Settings
from app.main import create_app
from tests.cds_hooks.conftest import cds_practices_file
from tests.cds_hooks.ehr import BASE_URL, Ehr, es384_key, write_jwks
from tests.support.identity import ec_key
from tests.support.live_server import live_server

DISCOVERY = "/cds-services"


@pytest.fixture
def app_database_url(database_url: str) -> str:
    """Stored on both engines: the rows every worker shares are the point."""
    return database_url


RENAL = "/cds-services/renal-advice"


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


async def _discover(client: httpx.AsyncClient, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.get(DISCOVERY, headers=headers)


def _assert_refused(response: httpx.Response, words: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"]


async def test_a_signed_es384_token_opens_discovery(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    response = await _discover(ehr_client, ehr.token(DISCOVERY))

    assert response.status_code == 200, response.text


async def test_rs384_is_accepted_too(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    response = await _discover(ehr_client, ehr.token(DISCOVERY, key=ehr.rs384))

    assert response.status_code == 200, response.text


async def test_no_token_is_refused(ehr_client: httpx.AsyncClient) -> None:
    _assert_refused(await _discover(ehr_client, None), "JWT")


async def test_a_service_call_without_a_token_is_refused_before_its_body_is_read(
    ehr_client: httpx.AsyncClient,
) -> None:
    response = await ehr_client.post(RENAL, content=b"{ not json at all")

    _assert_refused(response, "JWT")


async def test_hs256_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    token = jwt.encode(
        ehr.claims(DISCOVERY), "shared-secret", algorithm="HS256", headers={"kid": ehr.es384.kid}
    )

    _assert_refused(await _discover(ehr_client, token), "ES384 or RS384")


async def test_es256_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    key = ec_key(ehr.es384.kid)
    token = jwt.encode(ehr.claims(DISCOVERY), key.private_pem, algorithm="ES256", headers={"kid": key.kid})

    _assert_refused(await _discover(ehr_client, token), "ES384 or RS384")


async def test_alg_none_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    token = f"{_segment({'alg': 'none', 'kid': ehr.es384.kid})}.{_segment(ehr.claims(DISCOVERY))}."

    _assert_refused(await _discover(ehr_client, token), "ES384 or RS384")


async def test_a_token_without_kid_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    token = jwt.encode(ehr.claims(DISCOVERY), ehr.es384.private_pem, algorithm="ES384")

    _assert_refused(await _discover(ehr_client, token), "kid")


async def test_an_unknown_issuer_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    token = ehr.token(DISCOVERY, iss="https://ehr.elsewhere.test")

    _assert_refused(await _discover(ehr_client, token), "issuer")


async def test_an_audience_other_than_the_url_called_is_refused(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    signed_for_renal = ehr.token(DISCOVERY, aud=BASE_URL + RENAL)
    signed_for_another_host = ehr.token(DISCOVERY, aud="https://cds.example.org/cds-services")

    _assert_refused(await _discover(ehr_client, signed_for_renal), "claims")
    _assert_refused(await _discover(ehr_client, signed_for_another_host), "claims")


async def test_an_expired_token_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    token = ehr.token(DISCOVERY, exp=int(time.time()) - 120)

    _assert_refused(await _discover(ehr_client, token), "expired")


async def test_an_exp_more_than_five_minutes_ahead_is_refused(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    token = ehr.token(DISCOVERY, exp=int(time.time()) + 3600)

    _assert_refused(await _discover(ehr_client, token), "5 minutes")


async def test_a_token_without_jti_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    token = ehr.token(DISCOVERY, jti=None)

    _assert_refused(await _discover(ehr_client, token), "jti")


async def test_a_replayed_jti_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    token = ehr.token(DISCOVERY)

    assert (await _discover(ehr_client, token)).status_code == 200
    _assert_refused(await _discover(ehr_client, token), "used already")


async def test_a_jti_spent_on_one_instance_is_refused_by_another(
    cds_settings: Settings, ehr: Ehr, cds_app: FastAPI
) -> None:
    token = ehr.token(DISCOVERY)
    second = create_app(cds_settings)
    async with second.router.lifespan_context(second):
        for application, expected in ((cds_app, 200), (second, 401)):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                assert (await _discover(client, token)).status_code == expected


async def test_a_jku_not_on_the_clients_list_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    token = ehr.token(DISCOVERY, headers={"jku": "https://attacker.example/jwks.json"})

    _assert_refused(await _discover(ehr_client, token), "jku")


async def test_a_bad_signature_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    impostor = es384_key(ehr.es384.kid)

    _assert_refused(await _discover(ehr_client, ehr.token(DISCOVERY, key=impostor)), "signature")


async def test_a_key_the_client_never_published_is_refused(ehr_client: httpx.AsyncClient, ehr: Ehr) -> None:
    _assert_refused(
        await _discover(ehr_client, ehr.token(DISCOVERY, key=es384_key("unpublished"))), "unknown key"
    )


@asynccontextmanager
async def _app_trusting_jku(settings: Settings, tmp_path: Path, ehr: Ehr, jku: str) -> AsyncIterator[FastAPI]:
    jwks = write_jwks(tmp_path / "published.json", ehr.es384)
    practices = cds_practices_file(tmp_path / "jku-config", jwks=jwks, fhir_server=ehr.fhir_base)
    practices.write_text(practices.read_text().replace('"https://keys.ehr.test/jwks.json"', f'"{jku}"'))
    application = create_app(
        settings.model_copy(update={"practices_file": practices, "public_base_url": BASE_URL})
    )
    async with application.router.lifespan_context(application):
        yield application


async def test_a_listed_jku_names_the_key_set_the_token_is_checked_against(
    settings: Settings, tmp_path: Path, ehr: Ehr
) -> None:
    rotated = es384_key("rotated")

    async def key_set(_request: Request) -> JSONResponse:
        return JSONResponse({"keys": [rotated.public_jwk]})

    with live_server(Starlette(routes=[Route("/jwks.json", key_set)])) as keys_url:
        jku = f"{keys_url}/jwks.json"
        async with _app_trusting_jku(settings, tmp_path, ehr, jku) as application:
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                via_jku = ehr.token(DISCOVERY, key=rotated, headers={"jku": jku})
                without_jku = ehr.token(DISCOVERY, key=rotated)
                assert (await _discover(client, via_jku)).status_code == 200
                _assert_refused(await _discover(client, without_jku), "unknown key")


@pytest.mark.parametrize("path", ["/cds-services/renal-advice", "/cds-services/renal-advice/feedback"])
async def test_every_cds_route_needs_the_ehr_token(ehr_client: httpx.AsyncClient, path: str) -> None:
    response = await ehr_client.post(path, json={})

    _assert_refused(response, "JWT")
