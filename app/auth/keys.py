"""The trusted signing keys: a JWKS from a file or a URL, cached, refreshed on an unknown ``kid``."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from app.auth.verified_tokens import VerifiedTokens

ALLOWED_ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}


class KeySet:
    """Keys by ``kid``. Reloads at most once per ``min_refresh_seconds`` so a flood of unknown kids
    cannot turn into a flood of JWKS fetches."""

    def __init__(
        self,
        sources: list[str],
        *,
        client: httpx.AsyncClient | None = None,
        max_age_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
    ) -> None:
        self._sources = sources
        self._client = client
        self._max_age = max_age_seconds
        self._min_refresh = min_refresh_seconds
        self._keys: dict[str, dict[str, Any]] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()
        # Tokens verified against these keys; every reload forgets them (app/auth/verified_tokens.py).
        self.verified = VerifiedTokens()
        self.generation = 0

    async def key_for(self, kid: str) -> dict[str, Any] | None:
        now = time.monotonic()
        stale = now - self._loaded_at > self._max_age
        unknown = kid not in self._keys and now - self._loaded_at > self._min_refresh
        if stale or unknown:
            await self._reload()
        return self._keys.get(kid)

    async def refresh_when_stale(self) -> None:
        """Reloads the keys when they are older than ``max_age_seconds``, as ``key_for`` would."""
        if time.monotonic() - self._loaded_at > self._max_age:
            await self._reload()

    async def _reload(self) -> None:
        async with self._lock:
            keys: dict[str, dict[str, Any]] = {}
            for source in self._sources:
                for key in await self._read(source):
                    kid = key.get("kid")
                    if isinstance(kid, str) and key.get("kty") in ALLOWED_ALGORITHMS.values():
                        keys[kid] = key
            self._keys = keys
            self._loaded_at = time.monotonic()
            self.verified.clear()
            self.generation += 1

    async def _read(self, source: str) -> list[dict[str, Any]]:
        if source.startswith(("https://", "http://")):
            if self._client is None:
                raise RuntimeError("a JWKS URL needs an HTTP client")
            response = await self._client.get(source)
            response.raise_for_status()
            document = orjson.loads(response.content)
        else:
            document = orjson.loads(await asyncio.to_thread(Path(source).read_bytes))
        keys = document.get("keys", []) if isinstance(document, dict) else []
        return [key for key in keys if isinstance(key, dict)]
