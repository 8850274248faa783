"""A demo EHR for dev mode: an ES384 key pair in the data directory and the client it signs as.

With the embedded demo practice (no practices file) the service trusts this one client, ``demo-ehr``,
speaking for the demo practice, so ``make run`` can be tried as a GP system would call it:
``vclinic cds-token --service renal-advice`` prints a JWT for one call. Never used outside dev mode.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from jose import jwt

from app.auth.dev_keys import dev_key_directory, ensure_key_pair
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
    return ensure_key_pair(directory / PRIVATE_KEY_FILE, directory / JWKS_FILE, "P-384")


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
