"""Bearer tokens already verified, kept until they expire: the next call with one skips the signature check.

A page of the service makes many calls with one token, and each call checked its ES256 or RS256 signature
again, a large part of a cached read's cost. A token is kept by the SHA-256 of its exact text (never the
token itself, so a memory dump or a debugger shows no credential) with the Principal it gave, and only until
its ``exp``: past that it is verified again, which refuses it once the clock leeway has passed too. A
refresh of the trusted keys forgets every kept token, so a key taken out of the set stops being trusted at
the refresh, as before. The least recently used token goes first when ``capacity`` are kept.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from app.auth.principal import Principal

# Enough for every consultant and GP system of a busy instance within a token's lifetime.
DEFAULT_CAPACITY = 4096


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    expires_at: float


class VerifiedTokens:
    """Principals of verified tokens by the tokens' hashes, until their ``exp`` by ``clock`` (Unix time)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, clock: Callable[[], float] = time.time) -> None:
        self._capacity = capacity
        self._clock = clock
        self._kept: OrderedDict[bytes, _Verified] = OrderedDict()

    def principal_of(self, token: str) -> Principal | None:
        """The Principal the token gave when verified, if it is kept and has not yet expired."""
        digest = _digest(token)
        kept = self._kept.get(digest)
        if kept is None:
            return None
        if kept.expires_at <= self._clock():
            del self._kept[digest]
            return None
        self._kept.move_to_end(digest)
        return kept.principal

    def keep(self, token: str, principal: Principal, expires_at: float) -> None:
        """Keeps a token just verified, unless it has already expired (within the leeway a check allows)."""
        if self._capacity <= 0 or expires_at <= self._clock():
            return
        digest = _digest(token)
        self._kept[digest] = _Verified(principal, expires_at)
        self._kept.move_to_end(digest)
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)

    def clear(self) -> None:
        self._kept.clear()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
