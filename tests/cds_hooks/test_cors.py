"""A browser-based EHR (the CDS Hooks sandbox) calls the CDS services across origins: its preflight is
answered without the JWT, only listed origins are let in, and no route outside /cds-services speaks CORS."""

from __future__ import annotations

import httpx
import pytest

from app.cds_hooks.cors import cors_policy
from app.core.config import Settings
from tests.cds_hooks.ehr import Ehr
from tests.support.identity import IdentityProvider, bearer

SANDBOX = "https://sandbox.cds-hooks.org"
ELSEWHERE = "https://evil.example"
DISCOVERY = "/cds-services"
RENAL = "/cds-services/renal-advice"


@pytest.fixture
def cds_settings(cds_settings: Settings) -> Settings:
    return cds_settings.model_copy(update={"cds_allowed_origins": (SANDBOX,)})


def _preflight_headers(
    origin: str, method: str = "POST", headers: str = "authorization,content-type"
) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@pytest.mark.parametrize("path", [DISCOVERY, RENAL, f"{RENAL}/feedback"])
async def test_a_preflight_from_a_listed_origin_is_allowed_without_a_token(
    ehr_client: httpx.AsyncClient, path: str
) -> None:
    response = await ehr_client.options(path, headers=_preflight_headers(SANDBOX))

    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == SANDBOX
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST", "OPTIONS"}
    assert response.headers["access-control-allow-headers"] == "Authorization, Content-Type"
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]
    assert response.content == b""


async def test_a_preflight_from_an_unlisted_origin_is_refused_and_says_nothing_more(
    ehr_client: httpx.AsyncClient,
) -> None:
    response = await ehr_client.options(RENAL, headers=_preflight_headers(ELSEWHERE))

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-methods" not in response.headers
    assert SANDBOX not in response.text


@pytest.mark.parametrize(
    ("method", "headers"), [("DELETE", "authorization"), ("POST", "authorization,x-break-glass-reason")]
)
async def test_a_preflight_for_a_method_or_header_not_allowed_is_refused(
    ehr_client: httpx.AsyncClient, method: str, headers: str
) -> None:
    response = await ehr_client.options(RENAL, headers=_preflight_headers(SANDBOX, method, headers))

    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_a_call_from_a_listed_origin_carries_the_cors_headers(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    response = await ehr_client.get(DISCOVERY, headers={"Origin": SANDBOX, **ehr.headers(DISCOVERY)})

    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == SANDBOX
    assert "Origin" in response.headers["vary"]
    assert response.json()["services"]


async def test_a_refusal_is_readable_by_a_listed_origins_page(ehr_client: httpx.AsyncClient) -> None:
    response = await ehr_client.post(RENAL, json={}, headers={"Origin": SANDBOX})

    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == SANDBOX


async def test_a_call_from_an_unlisted_origin_gets_no_cors_headers(
    ehr_client: httpx.AsyncClient, ehr: Ehr
) -> None:
    response = await ehr_client.get(DISCOVERY, headers={"Origin": ELSEWHERE, **ehr.headers(DISCOVERY)})

    # The JWT decides the call; the browser, seeing no Allow-Origin, keeps the answer from the page.
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert "Origin" in response.headers["vary"]


async def test_the_v1_routes_speak_no_cors(ehr_client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    preflight = await ehr_client.options("/v1/specialties", headers=_preflight_headers(SANDBOX, "GET"))
    call = await ehr_client.get(
        "/v1/specialties", headers={"Origin": SANDBOX, **bearer(identity.consultant())}
    )

    assert preflight.status_code != 204
    assert call.status_code == 200, call.text
    for response in (preflight, call):
        assert not any(name.startswith("access-control-") for name in response.headers)


def test_outside_dev_mode_no_origin_is_allowed_by_default(settings: Settings) -> None:
    policy = cors_policy(settings)

    assert not policy.allows("http://localhost:8080")
    assert not policy.allows(SANDBOX)


def test_dev_mode_allows_pages_served_from_this_machine(settings: Settings) -> None:
    policy = cors_policy(settings.model_copy(update={"dev_mode": True}))

    assert policy.allows("http://localhost:8080")
    assert policy.allows("http://127.0.0.1:3000")
    assert not policy.allows("http://localhost.evil.example")
    assert not policy.allows(SANDBOX)


def test_the_origins_setting_takes_a_comma_separated_list(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VCLINIC_CDS_ALLOWED_ORIGINS", f"{SANDBOX}, HTTP://LOCALHOST:8080")

    read = Settings(**settings.model_dump(exclude={"cds_allowed_origins"}))

    assert read.cds_allowed_origins == (SANDBOX, "http://localhost:8080")
    assert cors_policy(read).allows(SANDBOX)


@pytest.mark.parametrize("origin", ["*", "null", "https://ehr.example/", "https://ehr.example/app"])
def test_a_wildcard_null_or_path_is_not_an_origin(settings: Settings, origin: str) -> None:
    with pytest.raises(ValueError, match="not a web origin"):
        Settings(**{**settings.model_dump(), "cds_allowed_origins": origin})
