"""A demo EHR for dev mode: an ES384 key pair in the data directory and the client it signs as.

With the embedded demo practice (no practices file) the service trusts this one client, ``demo-ehr``,
speaking for the demo practice, so ``make run`` can be tried as a GP system would call it:
``vclinic cds-token --service renal-advice`` prints a JWT for one call. Never used outside dev mode.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt

from app.auth.dev_keys import dev_key_directory
from app.core.config import Settings
from app.records.practices import CdsClientConfig

DEMO_EHR_CLIENT = "demo-ehr"
DEMO_EHR_ISSUER = "vclinic-demo-ehr"
PRIVATE_KEY_FILE = "dev-ehr-key.pem"
JWKS_FILE = "dev-ehr-jwks.json"
# Where `vclinic mock-gp --port 9001` serves the demo records on this machine: the demo EHR's FHIR server.
DEMO_EHR_FHIR_SERVER = "http://127.0.0.1:9001/fhir"


def demo_ehr_client(settings: Settings, ods: str) -> CdsClientConfig:
    ensure_dev_ehr_key(settings)
    return CdsClientConfig(
        issuer=DEMO_EHR_ISSUER,
        jwks=str(dev_key_directory(settings) / JWKS_FILE),
        ods=ods,
        fhir_servers=(DEMO_EHR_FHIR_SERVER,),
    )


def ensure_dev_ehr_key(settings: Settings) -> tuple[bytes, str]:
    """The demo EHR's private key PEM and kid, generating the P-384 pair the first time."""
    directory = dev_key_directory(settings)
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / PRIVATE_KEY_FILE
    if not key_path.exists():
        private_key = ec.generate_private_key(ec.SECP384R1())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
    pem = key_path.read_bytes()
    loaded = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    jwk = _public_jwk(loaded.public_key())
    (directory / JWKS_FILE).write_bytes(orjson.dumps({"keys": [jwk]}, option=orjson.OPT_INDENT_2))
    return pem, str(jwk["kid"])


def dev_ehr_key_exists(settings: Settings) -> bool:
    return Path(dev_key_directory(settings) / PRIVATE_KEY_FILE).is_file()


def mint_dev_ehr_token(settings: Settings, path: str, *, lifetime_seconds: int = 240) -> str:
    """A JWT for one call of ``path`` (``/cds-services/…``), as the demo EHR signs it."""
    pem, kid = ensure_dev_ehr_key(settings)
    now = int(time.time())
    claims = {
        "iss": DEMO_EHR_ISSUER,
        "aud": settings.public_base_url.rstrip("/") + path,
        "iat": now,
        "exp": now + lifetime_seconds,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, pem.decode(), algorithm="ES384", headers={"kid": kid, "typ": "JWT"})


def _public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    numbers = public_key.public_numbers()
    x = _b64(numbers.x.to_bytes(48, "big"))
    y = _b64(numbers.y.to_bytes(48, "big"))
    thumbprint = _b64(hashlib.sha256(orjson.dumps({"crv": "P-384", "kty": "EC", "x": x, "y": y})).digest())
    return {"kty": "EC", "crv": "P-384", "x": x, "y": y, "kid": thumbprint, "alg": "ES384", "use": "sig"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
