"""A bearer token's shape, held to plain rules before any JWT library reads it.

python-jose trusts what it parses: a header ``alg`` that is a list, JSON nested past Python's recursion limit,
or an ``exp`` of ``1e999`` reaches it as an exception it never expected, and the caller sees a 500. So the
compact form, both JSON parts and the time claims are checked here first, and a token that passes is one the
library can only accept or refuse. RFC 7515 §5.2 and RFC 7519 §7.2 give the steps; where they allow a choice
(duplicate member names, unknown critical headers) this refuses.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from typing import Any

# Three base64url segments, unpadded. The signature may be empty so that `alg: none` is refused by name.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Real identity providers nest claims three or four deep; the parser's recursion limit is about a thousand.
MAX_NESTING = 16
# Twenty digits hold any timestamp and any 64-bit number; Python refuses to read past 4,300 at all.
MAX_NUMBER_DIGITS = 20
# 9999-12-31T23:59:59Z: the last moment a datetime can hold, so every time claim converts cleanly.
LATEST_NUMERIC_DATE = 253_402_300_799
MAX_KID_LENGTH = 256
TEXT_HEADERS = ("alg", "kid", "typ", "cty", "jku", "x5u", "x5t", "x5t#S256")
TIME_CLAIMS = ("exp", "nbf", "iat")
TEXT_CLAIMS = ("iss", "sub", "jti")


class MalformedToken(Exception):
    """The token is not one a verifier should read further; the message is safe to show the caller."""


@dataclass(frozen=True, slots=True)
class UnverifiedToken:
    """A well-shaped token whose signature has not been checked yet."""

    algorithm: str
    kid: str


def read_unverified(token: str, *, max_bytes: int) -> UnverifiedToken:
    """The token's algorithm and key id, or :class:`MalformedToken` naming the first rule it breaks."""
    # Counting characters is counting bytes here: anything but ASCII fails the pattern on the next line.
    if len(token) > max_bytes:
        raise MalformedToken(f"the bearer token is longer than {max_bytes} bytes")
    if not _COMPACT_JWS.fullmatch(token):
        raise MalformedToken("the bearer token is malformed: it is not three base64url segments")
    header_segment, claims_segment, _signature = token.split(".")
    header = _json_object(header_segment, "header")
    claims = _json_object(claims_segment, "payload")
    algorithm, kid = _checked_header(header)
    _check_registered_claims(claims)
    return UnverifiedToken(algorithm=algorithm, kid=kid)


def _json_object(segment: str, part: str) -> dict[str, Any]:
    try:
        text = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode("utf-8")
        if _nesting_depth(text) > MAX_NESTING:
            raise MalformedToken(f"the bearer token's {part} is nested too deeply")
        value = json.loads(
            text,
            object_pairs_hook=_without_duplicates,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_refused_constant,
        )
    except ValueError:
        # Bad base64 (binascii.Error), bytes that are not UTF-8, and text that is not JSON all land here.
        raise MalformedToken(f"the bearer token is malformed: its {part} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise MalformedToken(f"the bearer token is malformed: its {part} is not a JSON object")
    return value


def _nesting_depth(text: str) -> int:
    """How deep arrays and objects nest, counted without parsing so that no depth can exhaust the stack."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise MalformedToken("the bearer token repeats a member name")
    return members


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise MalformedToken(f"the bearer token holds a number longer than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedToken("the bearer token holds a number too large to read")
    return value


def _refused_constant(name: str) -> float:
    raise MalformedToken(f"the bearer token holds {name}, which is not JSON")


def _checked_header(header: dict[str, Any]) -> tuple[str, str]:
    for name in TEXT_HEADERS:
        if name in header and not isinstance(header[name], str):
            raise MalformedToken(f"the bearer token's {name} header must be text")
    if "crit" in header:
        raise MalformedToken("the bearer token needs header extensions (crit) this service does not support")
    algorithm = header.get("alg")
    if not isinstance(algorithm, str):
        raise MalformedToken("the bearer token's header names no signing algorithm (alg)")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise MalformedToken("the token does not name its signing key (kid)")
    if len(kid) > MAX_KID_LENGTH:
        raise MalformedToken(f"the token's kid is longer than {MAX_KID_LENGTH} characters")
    return algorithm, kid


def _check_registered_claims(claims: dict[str, Any]) -> None:
    for name in TIME_CLAIMS:
        if name in claims:
            _check_numeric_date(name, claims[name])
    for name in TEXT_CLAIMS:
        if name in claims and not isinstance(claims[name], str):
            raise MalformedToken(f"the token's {name} claim must be text")
    audience = claims.get("aud")
    if audience is not None and not _is_text_or_list_of_text(audience):
        raise MalformedToken("the token's aud claim must be text or a list of text")


def _check_numeric_date(name: str, value: object) -> None:
    # A bool is an int to Python but not a NumericDate (RFC 7519 §2); a string "123" is not one either.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedToken(f"the token's {name} claim must be a number of seconds")
    if not 0 <= value <= LATEST_NUMERIC_DATE:
        raise MalformedToken(f"the token's {name} claim is not a time this service can read")


def _is_text_or_list_of_text(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
