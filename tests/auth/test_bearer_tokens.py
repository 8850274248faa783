"""Every way a bearer token can be wrong is refused with 401 and a problem+json body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import httpx
import orjson
import pytest
from fastapi import FastAPI
from jose import jwt

from app.core.config import Settings
from app.main import create_app
from tests.support.identity import AUDIENCE, ISSUER, IdentityProvider, bearer, ec_key

AUDIT_URL = "/v1/audit?nhs_number=9434765919"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, object], payload: dict[str, object]) -> str:
    return f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(payload))}."


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now + 600,
        "iat": now,
        "sub": "admin-1",
        "role": "admin",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


async def _refused(client: httpx.AsyncClient, token: str | None, reason: str) -> None:
    headers = bearer(token) if token is not None else {}
    response = await client.get(AUDIT_URL, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401
    assert reason in body["detail"]


async def test_a_valid_es256_token_is_accepted(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    response = await client.get(AUDIT_URL, headers=bearer(identity.admin()))
    assert response.status_code == 200, response.text


async def test_a_valid_rs256_token_is_accepted(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    token = identity.token(key=identity.rsa, sub="admin-2", role="admin")
    response = await client.get(AUDIT_URL, headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_no_token_is_refused(client: httpx.AsyncClient) -> None:
    await _refused(client, None, "bearer token is required")


async def test_a_malformed_token_is_refused(client: httpx.AsyncClient) -> None:
    await _refused(client, "not-a-jwt", "malformed")


async def test_alg_none_is_refused(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    token = _unsigned({"alg": "none", "typ": "JWT", "kid": identity.ec.kid}, _claims())
    await _refused(client, token, "algorithm is not accepted")


async def test_hs256_signed_with_the_public_key_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    # The classic confusion attack: an HMAC "signed" with the RSA public key the verifier trusts.
    header = {"alg": "HS256", "typ": "JWT", "kid": identity.rsa.kid}
    signing_input = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(_claims()))}"
    signature = hmac.new(identity.rsa.public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    await _refused(client, f"{signing_input}.{_b64(signature)}", "algorithm is not accepted")


async def test_an_expired_token_is_refused(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    token = identity.token(sub="admin-1", role="admin", lifetime=-120)
    await _refused(client, token, "expired")


async def test_expiry_within_the_clock_leeway_is_tolerated(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    token = identity.token(sub="admin-1", role="admin", lifetime=-5)
    response = await client.get(AUDIT_URL, headers=bearer(token))
    assert response.status_code == 200


async def test_a_not_yet_valid_token_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    token = identity.token(sub="admin-1", role="admin", nbf=int(time.time()) + 3600, lifetime=7200)
    await _refused(client, token, "not yet valid")


async def test_a_wrong_issuer_is_refused(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    token = jwt.encode(
        _claims(iss="https://evil.example"),
        identity.ec.private_pem,
        algorithm="ES256",
        headers={"kid": identity.ec.kid},
    )
    await _refused(client, token, "claims are not acceptable")


async def test_a_wrong_audience_is_refused(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    token = jwt.encode(
        _claims(aud="another-service"),
        identity.ec.private_pem,
        algorithm="ES256",
        headers={"kid": identity.ec.kid},
    )
    await _refused(client, token, "claims are not acceptable")


@pytest.mark.parametrize("missing", ["iss", "aud", "exp"])
async def test_a_token_without_a_required_claim_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider, missing: str
) -> None:
    token = jwt.encode(
        _claims(**{missing: None}),
        identity.ec.private_pem,
        algorithm="ES256",
        headers={"kid": identity.ec.kid},
    )
    response = await client.get(AUDIT_URL, headers=bearer(token))
    assert response.status_code == 401


async def test_an_unknown_kid_is_refused(client: httpx.AsyncClient) -> None:
    stranger = ec_key(kid="stranger")
    token = jwt.encode(_claims(), stranger.private_pem, algorithm="ES256", headers={"kid": "stranger"})
    await _refused(client, token, "unknown key")


async def test_a_tampered_payload_is_refused(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    header, _payload, signature = identity.token(sub="gp-1", role="gp", ods="A12345").split(".")
    forged = _b64(orjson.dumps(_claims(sub="gp-1", role="admin")))
    await _refused(client, f"{header}.{forged}.{signature}", "signature")


async def test_a_token_without_a_role_claim_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await _refused(client, identity.token(sub="someone"), "no role claim")


async def test_a_consultant_token_without_a_specialty_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    await _refused(client, identity.token(sub="dr-x", role="consultant"), "must name a specialty")


async def test_a_key_rotated_in_after_start_is_picked_up_on_its_unknown_kid(
    settings: Settings, identity: IdentityProvider
) -> None:
    app = create_app(settings.model_copy(update={"jwks_min_refresh_seconds": 0}))
    original = identity.jwks_path.read_bytes()
    rotated = ec_key(kid="rotated-in")
    async with app.router.lifespan_context(app), _client(app) as client:
        first = await client.get(AUDIT_URL, headers=bearer(identity.admin()))
        assert first.status_code == 200
        try:
            keys = orjson.loads(original)["keys"]
            identity.jwks_path.write_bytes(orjson.dumps({"keys": [*keys, rotated.public_jwk]}))
            token = jwt.encode(
                _claims(), rotated.private_pem, algorithm="ES256", headers={"kid": "rotated-in"}
            )
            response = await client.get(AUDIT_URL, headers=bearer(token))
        finally:
            identity.jwks_path.write_bytes(original)
    assert response.status_code == 200, response.text


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": "x" * 201, "role": "admin"}, "subject must be 1 to 200"),
        ({"sub": "dr lee", "role": "admin"}, "subject must be 1 to 200"),
        ({"sub": "dr-lee", "role": "admin", "name": "N" * 201}, "name must be 1 to 200"),
        ({"sub": "dr-lee", "role": "admin", "name": "Dr\u0000Lee"}, "name must be 1 to 200"),
        ({"sub": "dr-lee", "role": "consultant", "specialty": "n" * 65}, "specialty must be"),
        ({"sub": "dr-lee", "role": "consultant", "specialty": "Nephrology"}, "specialty must be"),
        ({"sub": "gp-1", "role": "gp", "ods": "A" * 11}, "must be an ODS code"),
        ({"sub": "gp-1", "role": "gp", "ods": "a12345"}, "must be an ODS code"),
        ({"sub": "gp-1", "role": "gp", "ods": "A12345\n"}, "must be an ODS code"),
    ],
)
async def test_a_kept_claim_outside_its_bound_is_refused_before_any_audit_write(
    client: httpx.AsyncClient, identity: IdentityProvider, claims: dict[str, str], reason: str
) -> None:
    await _refused(client, identity.token(**claims), reason)


async def test_kept_claims_at_their_bounds_are_accepted(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    token = identity.token(sub="a" * 200, role="admin", name="N" * 200)
    response = await client.get(AUDIT_URL, headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_a_token_over_the_configured_size_is_refused_before_it_is_read(
    settings: Settings, identity: IdentityProvider
) -> None:
    app = create_app(settings.model_copy(update={"max_token_bytes": 1024}))
    small = identity.admin()
    large = identity.token(sub="admin-1", role="admin", padding="x" * 1024)
    async with app.router.lifespan_context(app), _client(app) as client:
        assert (await client.get(AUDIT_URL, headers=bearer(small))).status_code == 200
        await _refused(client, large, "longer than 1024 bytes")


def test_the_token_size_bound_is_a_setting_with_a_default() -> None:
    assert Settings(dev_mode=True).max_token_bytes == 8192
    assert Settings(dev_mode=True, max_token_bytes=16384).max_token_bytes == 16384
