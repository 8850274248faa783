"""decode_json: an upstream body that is not JSON is the upstream's fault."""

from __future__ import annotations

import httpx
import pytest

from adapters.errors import UpstreamBadResponse
from adapters.http import decode_json


def test_a_json_body_is_decoded() -> None:
    response = httpx.Response(200, content=b'{"resourceType": "Bundle", "total": 2}')

    assert decode_json("practice A12345", response) == {"resourceType": "Bundle", "total": 2}


@pytest.mark.parametrize(
    "body",
    [b'{"resourceType": "Bundle", "entry": [{"resour', b"<html>Bad gateway</html>", b"", b"\xff\xfe"],
    ids=["truncated", "html", "empty", "not-utf8"],
)
def test_a_body_that_is_not_json_is_a_bad_response(body: bytes) -> None:
    with pytest.raises(UpstreamBadResponse) as caught:
        decode_json("practice A12345", httpx.Response(200, content=body))

    assert caught.value.source == "practice A12345"
