"""Development signing key: made when the service first starts in dev mode, never shipped, trusted only there.

It lives in the configured data directory (``VCLINIC_VAR_DIR``, ``./var`` by default), taken as an absolute
path, so the service and ``vclinic token`` sign and trust the same key only when they share that directory.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt

from app.core.config import Settings

PRIVATE_KEY_FILE = "dev-signing-key.pem"
JWKS_FILE = "dev-jwks.json"


def dev_key_directory(settings: Settings) -> Path:
    return settings.var_dir.expanduser().resolve()


def dev_jwks_path(settings: Settings) -> Path:
    return dev_key_directory(settings) / JWKS_FILE


def dev_key_exists(settings: Settings) -> bool:
    return (dev_key_directory(settings) / PRIVATE_KEY_FILE).is_file()


# The curves dev mode signs with, and the JWS algorithm and coordinate size (bytes) each goes with.
CURVES: dict[str, tuple[ec.EllipticCurve, str, int]] = {
    "P-256": (ec.SECP256R1(), "ES256", 32),
    "P-384": (ec.SECP384R1(), "ES384", 48),
}


def ensure_key_pair(private_key_path: Path, jwks_path: Path, curve: str) -> tuple[bytes, str]:
    """The private key PEM at ``private_key_path`` and its kid, generating the pair on ``curve`` the first
    time (owner-only, never overwritten); its public JWKS is written again at ``jwks_path``."""
    named_curve, algorithm, size = CURVES[curve]
    private_key_path.parent.mkdir(parents=True, exist_ok=True)
    if not private_key_path.exists():
        private_key = ec.generate_private_key(named_curve)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(private_key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
    pem = private_key_path.read_bytes()
    loaded = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    public_jwk = public_jwk_of(loaded.public_key(), curve=curve, algorithm=algorithm, size=size)
    jwks_path.write_bytes(orjson.dumps({"keys": [public_jwk]}, option=orjson.OPT_INDENT_2))
    return pem, str(public_jwk["kid"])


def ensure_dev_key(settings: Settings) -> tuple[bytes, str]:
    """The private key PEM and its kid, generating the pair the first time."""
    return ensure_key_pair(dev_key_directory(settings) / PRIVATE_KEY_FILE, dev_jwks_path(settings), "P-256")


def public_jwk_of(
    public_key: ec.EllipticCurvePublicKey, *, curve: str, algorithm: str, size: int
) -> dict[str, Any]:
    numbers = public_key.public_numbers()
    x = _b64(numbers.x.to_bytes(size, "big"))
    y = _b64(numbers.y.to_bytes(size, "big"))
    # RFC 7638 thumbprint: the kid changes exactly when the key does.
    thumbprint = _b64(hashlib.sha256(orjson.dumps({"crv": curve, "kty": "EC", "x": x, "y": y})).digest())
    return {"kty": "EC", "crv": curve, "x": x, "y": y, "kid": thumbprint, "alg": algorithm, "use": "sig"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def mint_dev_token(settings: Settings, claims: dict[str, Any], *, lifetime_seconds: int = 8 * 3600) -> str:
    pem, kid = ensure_dev_key(settings)
    now = int(time.time())
    payload = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
        **{key: value for key, value in claims.items() if value is not None},
    }
    return jwt.encode(payload, pem.decode(), algorithm="ES256", headers={"kid": kid})
