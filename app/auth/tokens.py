"""Bearer token verification with python-jose: RS256/ES256 only; ``iss``, ``aud`` and ``exp`` required."""

from __future__ import annotations

import logging

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from app.auth.keys import ALLOWED_ALGORITHMS, KeySet
from app.auth.principal import InvalidClaims, Principal
from app.core.config import Settings
from app.core.errors import Unauthorised

log = logging.getLogger("vclinic.auth")


async def verify_bearer_token(token: str, keys: KeySet, settings: Settings) -> Principal:
    try:
        header = jwt.get_unverified_header(token)
    except JWTError:
        raise Unauthorised("the bearer token is malformed") from None
    algorithm = header.get("alg")
    # Checked before any key is touched: this refuses `none` and the HS256-with-the-public-key confusion.
    if algorithm not in ALLOWED_ALGORITHMS:
        raise Unauthorised("the token's signing algorithm is not accepted (RS256 or ES256 only)")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise Unauthorised("the token does not name its signing key (kid)")
    try:
        key = await keys.key_for(kid)
    except Exception as exc:
        log.error("trusted keys could not be loaded", extra={"error_type": type(exc).__name__})
        raise Unauthorised("the trusted keys are unavailable") from None
    if key is None:
        raise Unauthorised("the token is signed by an unknown key")
    if key.get("kty") != ALLOWED_ALGORITHMS[algorithm]:
        raise Unauthorised("the token's algorithm does not match its key")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={
                "require_exp": True,
                "require_iss": True,
                "require_aud": True,
                "leeway": settings.jwt_leeway_seconds,
            },
        )
    except ExpiredSignatureError:
        raise Unauthorised("the token has expired") from None
    except JWTClaimsError as exc:
        raise Unauthorised(f"the token's claims are not acceptable: {exc}") from None
    except JWTError:
        raise Unauthorised("the token's signature or timing is not valid") from None
    try:
        return Principal.from_claims(claims)
    except InvalidClaims as exc:
        raise Unauthorised(str(exc)) from None
