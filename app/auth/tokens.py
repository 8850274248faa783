"""Bearer token verification with python-jose: RS256/ES256 only; ``iss``, ``aud`` and ``exp`` required.

Every token is first held to :mod:`app.auth.token_shape`, so the library only ever reads a well-shaped one and
every way a token can be wrong ends as :class:`Unauthorised`.
"""

from __future__ import annotations

import logging

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from app.auth.keys import ALLOWED_ALGORITHMS, KeySet
from app.auth.principal import InvalidClaims, Principal
from app.auth.token_shape import MalformedToken, read_unverified
from app.core.config import Settings
from app.core.errors import Unauthorised

log = logging.getLogger("vclinic.auth")


async def verify_bearer_token(token: str, keys: KeySet, settings: Settings) -> Principal:
    """The token's Principal; a token verified before and not yet expired is not checked again, unless the
    keys were refreshed since (see :mod:`app.auth.verified_tokens`)."""
    try:
        await keys.refresh_when_stale()
    except Exception as exc:
        log.error("trusted keys could not be loaded", extra={"error_type": type(exc).__name__})
        raise Unauthorised("the trusted keys are unavailable") from None
    known = keys.verified.principal_of(token)
    if known is not None:
        return known
    generation = keys.generation
    principal, expires_at = await _verified(token, keys, settings)
    if keys.generation == generation:
        keys.verified.keep(token, principal, expires_at)
    return principal


async def _verified(token: str, keys: KeySet, settings: Settings) -> tuple[Principal, float]:
    try:
        unverified = read_unverified(token, max_bytes=settings.max_token_bytes)
    except MalformedToken as exc:
        raise Unauthorised(str(exc)) from None
    algorithm = unverified.algorithm
    # Checked before any key is touched: this refuses `none` and the HS256-with-the-public-key confusion.
    if algorithm not in ALLOWED_ALGORITHMS:
        raise Unauthorised("the token's signing algorithm is not accepted (RS256 or ES256 only)")
    try:
        key = await keys.key_for(unverified.kid)
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
        return Principal.from_claims(claims), float(claims["exp"])
    except InvalidClaims as exc:
        raise Unauthorised(str(exc)) from None
