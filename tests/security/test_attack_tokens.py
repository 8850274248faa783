"""Hostile tokens replayed at every door: the bearer header, the page cookie and the sign-in form.

Each is refused as an unauthenticated caller (401 problem+json from the API, a trip back to sign-in from the
pages, the sign-in page's own 401), never with a 5xx; the service still serves the next honest caller and
its audit chain still verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson
import pytest
from fastapi import FastAPI
from jose import jwk, jwt

from app.audit.service import verify_chain
from app.core.config import Settings
from app.core.deps import SESSION_COOKIE
from tests.support.identity import AUDIENCE, ISSUER, IdentityProvider, bearer, ec_key
from tests.web.conftest import csrf_token_in

AUDIT_URL = "/v1/audit?nhs_number=9434765919"


@pytest.fixture
def app_database_url(database_url: str) -> str:
    """Oversized claims once failed only at PostgreSQL's column limits, so this runs on both engines."""
    return database_url


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _consultant_claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "sub": "dr-lee",
        "role": "consultant",
        "specialty": "nephrology",
        "name": "Dr Lee",
    }
    claims.update(overrides)
    return claims


def _claims_json(**overrides: object) -> bytes:
    return orjson.dumps(_consultant_claims(**overrides))


def _signed(identity: IdentityProvider, header: bytes | dict[str, object], payload: bytes) -> str:
    """Really signed by a trusted key, so only the token's shape can be what refuses it."""
    header_bytes = header if isinstance(header, bytes) else orjson.dumps(header)
    signing_input = f"{_b64(header_bytes)}.{_b64(payload)}"
    signature = jwk.construct(identity.ec.private_pem, "ES256").sign(signing_input.encode())
    return f"{signing_input}.{_b64(signature)}"


def _es256(identity: IdentityProvider, **header: object) -> dict[str, object]:
    return {"alg": "ES256", "typ": "JWT", "kid": identity.ec.kid, **header}


def _with_claims(identity: IdentityProvider, **overrides: object) -> str:
    claims = {key: value for key, value in _consultant_claims(**overrides).items() if value is not None}
    return _signed(identity, _es256(identity), orjson.dumps(claims))


def _with_raw_claim(name: str, raw_json: bytes) -> bytes:
    """The consultant's claims with one value written as raw JSON text that no encoder would write."""
    claims = orjson.dumps({key: value for key, value in _consultant_claims().items() if key != name})
    return claims[:-1] + f',"{name}":'.encode() + raw_json + b"}"


def _raw(name: str, raw_json: bytes) -> Callable[[IdentityProvider], str]:
    def build(identity: IdentityProvider) -> str:
        return _signed(identity, _es256(identity), _with_raw_claim(name, raw_json))

    return build


def _hs256_with_the_public_key(identity: IdentityProvider) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": identity.rsa.kid}
    signing_input = f"{_b64(orjson.dumps(header))}.{_b64(_claims_json())}"
    mac = hmac.new(identity.rsa.public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _unknown_kid(_identity: IdentityProvider) -> str:
    stranger = ec_key(kid="stranger")
    claims = _consultant_claims()
    return jwt.encode(claims, stranger.private_pem, algorithm="ES256", headers={"kid": "stranger"})


def _tampered(identity: IdentityProvider) -> str:
    header, _payload, signature = identity.consultant().split(".")
    return f"{header}.{_b64(_claims_json(specialty='cardiology'))}.{signature}"


def _padded_to(size: int) -> Callable[[IdentityProvider], str]:
    def build(identity: IdentityProvider) -> str:
        return _with_claims(identity, padding="x" * size)

    return build


@dataclass(frozen=True)
class Attack:
    name: str
    token: Callable[[IdentityProvider], str]
    # A token too big for the header limit is refused as an oversized header before it is read as a token.
    refused_in_headers_with: int = 401


ATTACKS = [
    Attack("alg none", lambda i: f"{_b64(orjson.dumps(_es256(i, alg='none')))}.{_b64(_claims_json())}."),
    Attack("HS256 signed with the public key", _hs256_with_the_public_key),
    Attack("alg as a list", lambda i: _signed(i, _es256(i, alg=["ES256"]), _claims_json())),
    Attack("alg as an object", lambda i: _signed(i, _es256(i, alg={"name": "ES256"}), _claims_json())),
    Attack("alg missing", lambda i: _signed(i, {"typ": "JWT", "kid": i.ec.kid}, _claims_json())),
    Attack("kid as a list", lambda i: _signed(i, _es256(i, kid=[i.ec.kid]), _claims_json())),
    Attack("kid as an object", lambda i: _signed(i, _es256(i, kid={"id": i.ec.kid}), _claims_json())),
    Attack("kid missing", lambda i: _signed(i, {"alg": "ES256", "typ": "JWT"}, _claims_json())),
    Attack("kid empty", lambda i: _signed(i, _es256(i, kid=""), _claims_json())),
    Attack("kid unknown", _unknown_kid),
    Attack("typ as a list", lambda i: _signed(i, _es256(i, typ=["JWT"]), _claims_json())),
    Attack("an unknown critical header", lambda i: _signed(i, _es256(i, crit=["exp"]), _claims_json())),
    Attack("header a JSON array", lambda i: _signed(i, b'["ES256"]', _claims_json())),
    Attack(
        "header repeats alg",
        lambda i: _signed(i, b'{"alg":"none","alg":"ES256","kid":"test-ec"}', _claims_json()),
    ),
    Attack("payload a JSON array", lambda i: _signed(i, _es256(i), b"[1, 2]")),
    Attack("payload a JSON string", lambda i: _signed(i, _es256(i), b'"admin"')),
    Attack("payload nested 2,000 deep", _raw("groups", b"[" * 2000 + b"]" * 2000)),
    Attack("payload not UTF-8", lambda i: _signed(i, _es256(i), b'{"sub":"\xff\xfe"}')),
    Attack("payload repeats role", _raw("role", b'"consultant","role":"admin"')),
    Attack("exp 1e999", _raw("exp", b"1e999")),
    Attack("exp NaN", _raw("exp", b"NaN")),
    Attack("exp Infinity", _raw("exp", b"Infinity")),
    Attack("exp as a string", lambda i: _with_claims(i, exp=str(int(time.time()) + 600))),
    Attack("exp as true", lambda i: _with_claims(i, exp=True)),
    Attack("exp thirty digits", _raw("exp", b"1" + b"0" * 30)),
    Attack("exp past the year 9999", lambda i: _with_claims(i, exp=10**12)),
    Attack("iat 5,000 digits", _raw("iat", b"9" * 5000)),
    Attack("nbf as a list", lambda i: _with_claims(i, nbf=[0])),
    Attack("exp missing", lambda i: _with_claims(i, exp=None)),
    Attack("expired", lambda i: _with_claims(i, exp=int(time.time()) - 3600)),
    Attack("not yet valid", lambda i: _with_claims(i, nbf=int(time.time()) + 3600, exp=2_000_000_000)),
    Attack("wrong issuer", lambda i: _with_claims(i, iss="https://evil.example")),
    Attack("issuer as a list", lambda i: _with_claims(i, iss=[ISSUER])),
    Attack("wrong audience", lambda i: _with_claims(i, aud="another-service")),
    Attack("audience as a number", lambda i: _with_claims(i, aud=42)),
    Attack("sub of 300 characters", lambda i: _with_claims(i, sub="x" * 300)),
    Attack("sub as a number", lambda i: _with_claims(i, sub=42)),
    Attack("sub with a NUL", lambda i: _with_claims(i, sub="dr-lee\u0000")),
    Attack("name of 201 characters", lambda i: _with_claims(i, name="N" * 201)),
    Attack("name with a line break", lambda i: _with_claims(i, name="Dr Lee\nadmin")),
    Attack("specialty of 65 characters", lambda i: _with_claims(i, specialty="n" * 65)),
    Attack("specialty not a code", lambda i: _with_claims(i, specialty="Nephrology/../admin")),
    Attack("ods of 33 characters", lambda i: _with_claims(i, role="gp", ods="A" * 33)),
    Attack("ods not an ODS code", lambda i: _with_claims(i, role="gp", ods="a12345")),
    Attack("role as a list", lambda i: _with_claims(i, role=["admin"])),
    Attack("tampered payload", _tampered),
    Attack("just over the 8192-byte bound", _padded_to(6200)),
    Attack("100 KB", _padded_to(75_000), refused_in_headers_with=431),
    Attack("garbage base64", lambda _i: "%%%.###.$$$"),
    Attack("two segments", lambda _i: "eyJhbGciOiJFUzI1NiJ9.e30"),
    Attack("a segment of impossible length", lambda _i: "eyJhbGciOiJFUzI1NiJ9a.e30.sig"),
    Attack("not a JWT at all", lambda _i: "not-a-jwt"),
]


async def _sign_in_with(client: httpx.AsyncClient, token: str) -> httpx.Response:
    page = await client.get("/sign-in")
    return await client.post("/sign-in", data={"csrf_token": csrf_token_in(page.text), "token": token})


def _as_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


def _assert_problem(response: httpx.Response, status: int = 401) -> None:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status


async def _assert_chain_intact(app: FastAPI, settings: Settings) -> None:
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
    assert verdict.intact, verdict.problems
    assert verdict.events >= 1


async def _replay(client: httpx.AsyncClient, identity: IdentityProvider, attack: Attack) -> None:
    token = attack.token(identity)
    refused = attack.refused_in_headers_with
    _assert_problem(await client.get(AUDIT_URL, headers=bearer(token)), refused)
    _assert_problem(await client.get(AUDIT_URL, headers=_as_cookie(token)), refused)

    page = await client.get("/", headers=_as_cookie(token))
    if refused == 401:
        assert page.status_code == 303
        assert page.headers["location"] == "/sign-in"
    else:
        assert page.status_code == refused

    signed_in = await _sign_in_with(client, token)
    assert signed_in.status_code == 401, signed_in.text[:500]
    assert "Sign-in failed" in signed_in.text
    assert SESSION_COOKIE not in signed_in.cookies


async def test_every_hostile_token_is_refused_at_every_door_and_the_audit_chain_holds(
    app: FastAPI,
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    settings: Settings,
) -> None:
    # One app per engine replays the whole table, so the suite stays quick; each failure names its attack.
    failures: list[str] = []
    for attack in ATTACKS:
        try:
            await _replay(client, identity, attack)
        except AssertionError as failure:
            failures.append(f"{attack.name}: {failure}")
    assert not failures, "\n".join(failures)

    honest = await client.get(AUDIT_URL, headers=bearer(identity.admin()))
    assert honest.status_code == 200, honest.text
    await _assert_chain_intact(app, settings)


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer ", "Bearer    "])
async def test_an_empty_bearer_token_is_refused(client: httpx.AsyncClient, authorization: str) -> None:
    _assert_problem(await client.get(AUDIT_URL, headers={"Authorization": authorization}))


async def test_an_empty_session_cookie_is_refused(client: httpx.AsyncClient) -> None:
    _assert_problem(await client.get(AUDIT_URL, headers=_as_cookie("")))
    page = await client.get("/", headers=_as_cookie(""))
    assert page.status_code == 303


async def test_an_empty_token_cannot_sign_in(client: httpx.AsyncClient) -> None:
    response = await _sign_in_with(client, "")
    assert response.status_code in {401, 422}
    assert SESSION_COOKIE not in response.cookies
