"""Reading an upstream's JSON body."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from adapters.errors import UpstreamBadResponse


def decode_json(source: str, response: httpx.Response) -> Any:
    """The body as JSON; a malformed or truncated body is the upstream's fault, so UpstreamBadResponse."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise UpstreamBadResponse(source, f"HTTP {response.status_code} body is not valid JSON") from exc
