"""A test identity provider: RSA and EC signing keys, their JWKS, and tokens made with them."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt

ISSUER = "https://idp.test.vclinic"
AUDIENCE = "vclinic-api"


def _b64(number: int, length: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(length, "big")).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_pem: str
    public_pem: str
    public_jwk: dict[str, Any]


def rsa_key(kid: str = "test-rsa") -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": _b64(numbers.n, 256), "e": "AQAB"}
    return SigningKey(kid, "RS256", _private_pem(private), _public_pem(private.public_key()), jwk)


def ec_key(kid: str = "test-ec") -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "kid": kid,
        "crv": "P-256",
        "alg": "ES256",
        "use": "sig",
        "x": _b64(numbers.x, 32),
        "y": _b64(numbers.y, 32),
    }
    return SigningKey(kid, "ES256", _private_pem(private), _public_pem(private.public_key()), jwk)


def _private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _public_pem(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@dataclass
class IdentityProvider:
    rsa: SigningKey
    ec: SigningKey
    jwks_path: Path

    @classmethod
    def create(cls, directory: Path) -> IdentityProvider:
        provider = cls(rsa_key(), ec_key(), directory / "jwks.json")
        provider.jwks_path.write_bytes(
            orjson.dumps({"keys": [provider.rsa.public_jwk, provider.ec.public_jwk]})
        )
        return provider

    def token(
        self,
        *,
        key: SigningKey | None = None,
        lifetime: int = 600,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        key = key or self.ec
        now = int(time.time())
        payload: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + lifetime}
        payload.update({name: value for name, value in claims.items() if value is not None})
        return jwt.encode(
            payload, key.private_pem, algorithm=key.algorithm, headers={"kid": key.kid, **(headers or {})}
        )

    def consultant(self, specialty: str = "nephrology", sub: str = "dr-lee") -> str:
        return self.token(sub=sub, role="consultant", specialty=specialty, name="Dr Lee")

    def practice(self, ods: str = "A12345", role: str = "gp-system", sub: str = "gp-system-1") -> str:
        return self.token(sub=sub, role=role, ods=ods)

    def admin(self, sub: str = "admin-1") -> str:
        return self.token(sub=sub, role="admin")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
