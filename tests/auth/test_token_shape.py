"""A token's shape is checked before python-jose reads it, and every break of shape is a MalformedToken."""

from __future__ import annotations

import base64

import orjson
import pytest

from app.auth.token_shape import MAX_NESTING, MalformedToken, read_unverified

GOOD_HEADER = {"alg": "ES256", "typ": "JWT", "kid": "test-ec"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(header: bytes | dict[str, object] = GOOD_HEADER, payload: bytes = b'{"sub":"dr-lee"}') -> str:
    header_bytes = header if isinstance(header, bytes) else orjson.dumps(header)
    return f"{_b64(header_bytes)}.{_b64(payload)}.c2lnbmF0dXJl"


def _refusal(token: str, *, max_bytes: int = 8192) -> str:
    with pytest.raises(MalformedToken) as refused:
        read_unverified(token, max_bytes=max_bytes)
    return str(refused.value)


def test_a_well_shaped_token_names_its_algorithm_and_key() -> None:
    unverified = read_unverified(_token(), max_bytes=8192)
    assert (unverified.algorithm, unverified.kid) == ("ES256", "test-ec")


def test_a_token_over_the_bound_is_refused_before_it_is_read() -> None:
    assert "longer than 1024 bytes" in _refusal("x" * 1025, max_bytes=1024)


def test_a_token_at_the_bound_is_read() -> None:
    token = _token(payload=orjson.dumps({"sub": "dr-lee", "pad": "x" * 600}))
    assert read_unverified(token, max_bytes=len(token)).kid == "test-ec"


@pytest.mark.parametrize(
    "token",
    ["", "a.b", "a.b.c.d", "a b.c.d", "é.e30.sig", "eyJ9.e30.sig=", "eyJhbGciOiJFUzI1NiJ9a.e30.sig"],
)
def test_anything_but_three_base64url_segments_is_malformed(token: str) -> None:
    assert "malformed" in _refusal(token)


@pytest.mark.parametrize("payload", [b"\xff\xfe", b"{not json", b" ", b'{"a":1}{"b":2}'])
def test_a_payload_that_is_not_utf8_json_is_malformed(payload: bytes) -> None:
    assert "not base64url JSON" in _refusal(_token(payload=payload))


@pytest.mark.parametrize("payload", [b"[]", b'"text"', b"42", b"null"])
def test_a_payload_that_is_not_an_object_is_malformed(payload: bytes) -> None:
    assert "not a JSON object" in _refusal(_token(payload=payload))


def test_nesting_past_the_bound_is_refused_without_recursion() -> None:
    deep = b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert "nested too deeply" in _refusal(_token(payload=deep), max_bytes=1_000_000)


def test_nesting_within_the_bound_is_read() -> None:
    depth = MAX_NESTING - 1
    payload = b'{"x":' + b"[" * depth + b"]" * depth + b"}"
    assert read_unverified(_token(payload=payload), max_bytes=8192).kid == "test-ec"


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    payload = orjson.dumps({"name": "[" * 100 + '\\"{' * 50})
    assert read_unverified(_token(payload=payload), max_bytes=8192).kid == "test-ec"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"exp":1e999}', "too large to read"),
        (b'{"exp":-1e999}', "too large to read"),
        (b'{"exp":NaN}', "not JSON"),
        (b'{"exp":Infinity}', "not JSON"),
        (b'{"exp":' + b"9" * 5000 + b"}", "longer than 20 digits"),
        (b'{"other":' + b"9" * 21 + b"}", "longer than 20 digits"),
        (b'{"exp":"1700000000"}', "number of seconds"),
        (b'{"exp":true}', "number of seconds"),
        (b'{"nbf":[0]}', "number of seconds"),
        (b'{"iat":null}', "number of seconds"),
        (b'{"exp":-1}', "not a time"),
        (b'{"exp":253402300800}', "not a time"),
        (b'{"iss":["a"]}', "iss claim must be text"),
        (b'{"sub":7}', "sub claim must be text"),
        (b'{"aud":[1]}', "aud claim must be text"),
        (b'{"role":"gp","role":"admin"}', "repeats a member name"),
    ],
)
def test_claims_the_library_would_trip_on_are_malformed(payload: bytes, reason: str) -> None:
    assert reason in _refusal(_token(payload=payload))


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": ["ES256"], "kid": "k"}, "alg header must be text"),
        ({"alg": {"name": "ES256"}, "kid": "k"}, "alg header must be text"),
        ({"alg": "ES256", "kid": ["k"]}, "kid header must be text"),
        ({"alg": "ES256", "kid": "k", "typ": {"t": "JWT"}}, "typ header must be text"),
        ({"alg": "ES256", "kid": "k", "x5t#S256": 1}, "x5t#S256 header must be text"),
        ({"alg": "ES256", "kid": "k", "crit": ["exp"]}, "crit"),
        ({"kid": "k"}, "names no signing algorithm"),
        ({"alg": "ES256"}, "does not name its signing key"),
        ({"alg": "ES256", "kid": ""}, "does not name its signing key"),
        ({"alg": "ES256", "kid": "k" * 257}, "longer than 256"),
        (b'{"alg":"none","alg":"ES256","kid":"k"}', "repeats a member name"),
        (b'["ES256"]', "not a JSON object"),
    ],
)
def test_a_header_of_the_wrong_shape_is_malformed(header: bytes | dict[str, object], reason: str) -> None:
    assert reason in _refusal(_token(header=header))
