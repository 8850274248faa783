"""A test EHR: its ES384 and RS384 signing keys, the JWTs it signs, and the prefetch it builds.

It calls the CDS services as a GP's clinical system would: each call signed for the exact URL called with a
fresh jti, and prefetch read from its own FHIR server (the mock GP) by the templates discovery gave.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt

EHR_ISSUER = "https://ehr.mile-end.test"
BASE_URL = "http://testserver"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"


def _b64(number: int, length: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(length, "big")).rstrip(b"=").decode()


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass(frozen=True)
class EhrKey:
    kid: str
    algorithm: str
    private_pem: str
    public_jwk: dict[str, Any]


def es384_key(kid: str = "ehr-es384") -> EhrKey:
    private = ec.generate_private_key(ec.SECP384R1())
    numbers = private.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-384", "kid": kid, "x": _b64(numbers.x, 48), "y": _b64(numbers.y, 48)}
    return EhrKey(kid, "ES384", _pem(private), jwk)


def rs384_key(kid: str = "ehr-rs384") -> EhrKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": kid, "n": _b64(numbers.n, 256), "e": "AQAB"}
    return EhrKey(kid, "RS384", _pem(private), jwk)


def write_jwks(path: Path, *keys: EhrKey) -> Path:
    path.write_bytes(orjson.dumps({"keys": [key.public_jwk for key in keys]}))
    return path


def client_section(
    name: str, *, jwks: Path, ods: str, fhir_servers: Sequence[str] = (), jku: Sequence[str] = ()
) -> str:
    """The practices file's ``[cds_clients.NAME]`` trusting this EHR: its issuer, its keys, its practice."""
    lines = [
        f"[cds_clients.{name}]",
        f"issuer = {json.dumps(EHR_ISSUER)}",
        f"jwks = {json.dumps(str(jwks))}",
        f"ods = {json.dumps(ods)}",
        f"jku = {json.dumps(list(jku))}",
        f"fhir_servers = {json.dumps(list(fhir_servers))}",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Ehr:
    es384: EhrKey
    rs384: EhrKey
    issuer: str = EHR_ISSUER
    fhir_base: str = ""
    used: list[str] = field(default_factory=list)

    def claims(self, path: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": BASE_URL + path,
            "iat": now,
            "exp": now + 120,
            "jti": str(uuid.uuid4()),
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(
        self, path: str, *, key: EhrKey | None = None, headers: dict[str, Any] | None = None, **claims: Any
    ) -> str:
        key = key or self.es384
        return jwt.encode(
            self.claims(path, **claims),
            key.private_pem,
            algorithm=key.algorithm,
            headers={"kid": key.kid, "typ": "JWT", **(headers or {})},
        )

    def headers(self, path: str, **options: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(path, **options)}"}

    def patient_id(self, nhs_number: str) -> str:
        found = httpx.get(
            f"{self.fhir_base}/Patient", params={"identifier": f"{NHS_NUMBER_SYSTEM}|{nhs_number}"}
        ).json()
        patient_id: str = found["entry"][0]["resource"]["id"]
        return patient_id

    def prefetch(self, templates: dict[str, str], patient_id: str) -> dict[str, Any]:
        """Every template read from the EHR's own server, each search's pages in one Bundle, no links."""
        values: dict[str, Any] = {}
        for key, template in templates.items():
            url: str | None = f"{self.fhir_base}/{template.replace('{{context.patientId}}', patient_id)}"
            body = httpx.get(url).json()
            if body.get("resourceType") != "Bundle":
                values[key] = body
                continue
            entries = list(body.get("entry", []))
            for _ in range(50):
                url = next((link["url"] for link in body.get("link", []) if link["relation"] == "next"), None)
                if url is None:
                    break
                body = httpx.get(url).json()
                entries.extend(body.get("entry", []))
            values[key] = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
        return values

    def request(
        self,
        patient_id: str,
        *,
        prefetch: dict[str, Any] | None = None,
        fhir_server: str | None = None,
        access_token: str | None = "ehr-access-token",
    ) -> dict[str, Any]:
        """A patient-view call as the specification's example shapes it."""
        body: dict[str, Any] = {
            "hookInstance": str(uuid.uuid4()),
            "hook": "patient-view",
            "context": {"userId": "Practitioner/example", "patientId": patient_id},
        }
        if fhir_server is not None:
            body["fhirServer"] = fhir_server
            if access_token is not None:
                body["fhirAuthorization"] = {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "scope": "user/Patient.read user/Observation.read",
                    "subject": "vclinic-cds",
                }
        if prefetch is not None:
            body["prefetch"] = prefetch
        return body
