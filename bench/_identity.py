"""An identity provider of the bench's own: an EC signing key, its JWKS file, and tokens signed with it."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt

ISSUER = "https://idp.bench.vclinic"
AUDIENCE = "vclinic-api"
KEY_ID = "bench-ec"
# Long enough for the whole bench, so no token expires mid-run.
LIFETIME_SECONDS = 4 * 3600


def _b64(number: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode()


@dataclass(frozen=True)
class BenchIdentity:
    private_pem: str
    jwks_path: Path

    @classmethod
    def create(cls, directory: Path) -> BenchIdentity:
        """A fresh P-256 key; its public half is written to ``jwks.json`` in ``directory``."""
        private = ec.generate_private_key(ec.SECP256R1())
        numbers = private.public_key().public_numbers()
        jwk = {"kty": "EC", "kid": KEY_ID, "crv": "P-256", "alg": "ES256", "use": "sig"}
        jwk |= {"x": _b64(numbers.x), "y": _b64(numbers.y)}
        jwks_path = directory / "jwks.json"
        jwks_path.write_bytes(orjson.dumps({"keys": [jwk]}))
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return cls(pem, jwks_path)

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + LIFETIME_SECONDS, **claims}
        return str(jwt.encode(payload, self.private_pem, algorithm="ES256", headers={"kid": KEY_ID}))
