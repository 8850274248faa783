"""The JWT an EHR signs for every CDS Hooks call (CDS Hooks 2.0 "Trusting CDS Clients").

Refused, each as 401: a malformed token (``app.auth.token_shape``), an algorithm other than ES384 or RS384
(the specification's recommended pair; never ``none``, never an HMAC), no ``kid``, an ``iss`` not among the
configured clients, a ``jku`` not on that client's list, an unknown key or one of the wrong type, a bad
signature, an ``aud`` other than the exact URL called, an expired token, one whose ``exp`` is more than five
minutes ahead (a long-lived token is a stolen token's long life), and no ``jti``. Replays are refused by
``replay``, which keeps each ``jti`` in the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from app.auth.keys import KeySet
from app.auth.token_shape import MalformedToken, read_unverified
from app.cds_hooks.trust import CdsClient, CdsTrust
from app.core.errors import Unauthorised

log = logging.getLogger("vclinic.cds_hooks")

# Algorithm → the key type and curve it must be used with.
EHR_ALGORITHMS: dict[str, tuple[str, str | None]] = {"ES384": ("EC", "P-384"), "RS384": ("RSA", None)}
# CDS Hooks 2.0: "exp … SHOULD be no more than 5 minutes in the future".
MAX_LIFETIME = timedelta(minutes=5)
MAX_JTI_LENGTH = 200
# What of a refused token's claimed issuer a log line keeps: enough to tell a misconfigured EHR by.
MAX_LOGGED_ISSUER_LENGTH = 200


@dataclass(frozen=True, slots=True)
class VerifiedEhrCall:
    client: CdsClient
    jti: str
    # When the token stops being accepted, leeway included: its jti is kept until then.
    usable_until: datetime


async def verify_ehr_token(
    token: str, *, trust: CdsTrust, audience: str, now: datetime, leeway_seconds: int, max_bytes: int
) -> VerifiedEhrCall:
    """The calling client, once the token passes every check in the module's list; else ``Unauthorised``."""
    try:
        shape = read_unverified(token, max_bytes=max_bytes)
        header = jwt.get_unverified_header(token)
        unverified_claims = jwt.get_unverified_claims(token)
    except (MalformedToken, JWTError) as exc:
        raise Unauthorised(
            str(exc) if isinstance(exc, MalformedToken) else "the token is malformed"
        ) from None
    if shape.algorithm not in EHR_ALGORITHMS:
        raise Unauthorised("the token's signing algorithm is not accepted (ES384 or RS384 only)")
    client = trust.client_for(unverified_claims.get("iss"))
    if client is None:
        raise Unauthorised("the token's issuer is not a trusted CDS client")
    key = await _key(client, header, shape.kid)
    key_type, curve = EHR_ALGORITHMS[shape.algorithm]
    if key.get("kty") != key_type or (curve is not None and key.get("crv") != curve):
        raise Unauthorised("the token's algorithm does not match its key")
    claims = _decoded(token, key, shape.algorithm, audience, client.config.issuer, leeway_seconds)
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    if expires - now > MAX_LIFETIME + timedelta(seconds=leeway_seconds):
        raise Unauthorised("the token's exp is more than 5 minutes ahead")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise Unauthorised(f"the token needs a jti of 1 to {MAX_JTI_LENGTH} characters")
    return VerifiedEhrCall(client, jti, expires + timedelta(seconds=leeway_seconds))


def claimed_issuer(token: str, *, max_bytes: int) -> str | None:
    """The ``iss`` a refused token claims, cut to a loggable length; None when the token is not well shaped.

    Read only after the token was refused, to say who it claimed to be: nothing here is trusted.
    """
    try:
        read_unverified(token, max_bytes=max_bytes)
        issuer = jwt.get_unverified_claims(token).get("iss")
    except (MalformedToken, JWTError):
        return None
    return issuer[:MAX_LOGGED_ISSUER_LENGTH] if isinstance(issuer, str) else None


async def _key(client: CdsClient, header: dict[str, Any], kid: str) -> dict[str, Any]:
    jku = header.get("jku")
    keys: KeySet = client.keys
    if jku is not None:
        listed = client.jku_keys.get(jku)
        if listed is None:
            raise Unauthorised("the token's jku is not on the client's list")
        keys = listed
    try:
        key = await keys.key_for(kid)
    except Exception as exc:
        log.error("a CDS client's keys could not be loaded", extra={"error_type": type(exc).__name__})
        raise Unauthorised("the client's keys are unavailable") from None
    if key is None:
        raise Unauthorised("the token is signed by an unknown key")
    return key


def _decoded(
    token: str, key: dict[str, Any], algorithm: str, audience: str, issuer: str, leeway: int
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            options={
                "require_exp": True,
                "require_iss": True,
                "require_aud": True,
                "leeway": leeway,
            },
        )
    except ExpiredSignatureError:
        raise Unauthorised("the token has expired") from None
    except JWTClaimsError as exc:
        raise Unauthorised(f"the token's claims are not acceptable: {exc}") from None
    except JWTError:
        raise Unauthorised("the token's signature or timing is not valid") from None
    return claims
