"""A verified token is kept by its hash until it expires, and forgotten when the keys are refreshed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from jose import jwt

from app.auth import tokens
from app.auth.keys import KeySet
from app.auth.principal import Principal
from app.auth.tokens import verify_bearer_token
from app.auth.verified_tokens import VerifiedTokens
from app.core.config import Settings
from app.core.errors import Unauthorised
from tests.support.identity import AUDIENCE, ISSUER, IdentityProvider, ec_key

TEST_SECRET = "a-test-secret-that-is-long-enough-to-pass"


def _settings(tmp_path: Path, identity: IdentityProvider, leeway: int = 30) -> Settings:
    return Settings(
        dev_mode=False,
        var_dir=tmp_path / "var",
        jwks=str(identity.jwks_path),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_leeway_seconds=leeway,
        secret_key=TEST_SECRET,
        audit_key=TEST_SECRET,
    )


@pytest.fixture
def own_identity(tmp_path: Path) -> IdentityProvider:
    return IdentityProvider.create(tmp_path)


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    checked: list[str] = []
    decode = jwt.decode

    def counted(token: str, *given: Any, **named: Any) -> dict[str, Any]:
        checked.append(token)
        claims: dict[str, Any] = decode(token, *given, **named)
        return claims

    monkeypatch.setattr(tokens.jwt, "decode", counted)
    return checked


async def test_a_token_verified_once_is_not_checked_again_while_it_is_valid(
    tmp_path: Path, own_identity: IdentityProvider, signature_checks: list[str]
) -> None:
    settings = _settings(tmp_path, own_identity)
    keys = KeySet([str(own_identity.jwks_path)])
    token = own_identity.consultant()

    first = await verify_bearer_token(token, keys, settings)
    again = await verify_bearer_token(token, keys, settings)

    assert again == first
    assert first.sub == "dr-lee"
    assert signature_checks == [token]


async def test_a_kept_token_is_refused_once_it_has_expired(
    tmp_path: Path, own_identity: IdentityProvider
) -> None:
    settings = _settings(tmp_path, own_identity, leeway=0)
    keys = KeySet([str(own_identity.jwks_path)])
    token = own_identity.token(sub="admin-1", role="admin", lifetime=1)
    await verify_bearer_token(token, keys, settings)

    # The check counts whole seconds: a token is expired once the second after its exp has begun.
    await asyncio.sleep(max(0.0, jwt.get_unverified_claims(token)["exp"] + 1 - time.time()) + 0.1)

    with pytest.raises(Unauthorised, match="expired"):
        await verify_bearer_token(token, keys, settings)


async def test_a_key_taken_out_at_a_refresh_is_no_longer_trusted_for_a_kept_token(
    tmp_path: Path, own_identity: IdentityProvider
) -> None:
    settings = _settings(tmp_path, own_identity)
    keys = KeySet([str(own_identity.jwks_path)], max_age_seconds=0.0)
    token = own_identity.consultant()
    await verify_bearer_token(token, keys, settings)

    replacement = ec_key(kid="rotated-in")
    own_identity.jwks_path.write_bytes(orjson.dumps({"keys": [replacement.public_jwk]}))

    with pytest.raises(Unauthorised, match="unknown key"):
        await verify_bearer_token(token, keys, settings)


def _principal(sub: str) -> Principal:
    return Principal.from_claims({"sub": sub, "role": "admin"})


def test_tokens_are_kept_by_their_hash_never_their_text() -> None:
    verified = VerifiedTokens()
    verified.keep("header.payload.signature", _principal("admin-1"), time.time() + 60)

    assert all(isinstance(key, bytes) and len(key) == 32 for key in verified._kept)
    assert verified.principal_of("header.payload.signature") == _principal("admin-1")
    assert verified.principal_of("header.payload.signaturf") is None


def test_the_least_recently_used_token_goes_first_when_the_bound_is_reached() -> None:
    verified = VerifiedTokens(capacity=2)
    expires_at = time.time() + 60
    verified.keep("first", _principal("one"), expires_at)
    verified.keep("second", _principal("two"), expires_at)
    assert verified.principal_of("first") is not None

    verified.keep("third", _principal("three"), expires_at)

    assert verified.principal_of("second") is None
    assert verified.principal_of("first") == _principal("one")
    assert verified.principal_of("third") == _principal("three")


def test_a_token_past_its_expiry_is_not_kept() -> None:
    now = [1000.0]
    verified = VerifiedTokens(clock=lambda: now[0])
    verified.keep("late", _principal("late"), 999.0)
    verified.keep("kept", _principal("kept"), 1001.0)

    assert verified.principal_of("late") is None
    assert verified.principal_of("kept") == _principal("kept")
    now[0] = 1001.0
    assert verified.principal_of("kept") is None
