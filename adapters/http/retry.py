"""When and how long to wait before trying an upstream again."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").

    ``attempts`` counts every try, the first included. Full jitter spreads the retries of the concurrent
    searches of one record, and of many consultants, so they do not hit a recovering practice system in step.

    ``Retry-After`` (seconds) on 429 and 503 is honoured exactly when it is at most ``max_delay``. A longer
    wait is not worth it: a consultant is waiting for the page, and retrying sooner than asked only earns
    another refusal, so the request gives up at once instead.
    """

    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 2.0

    def backoff(self, retry_number: int, uniform: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry): uniform in [0, cap)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return ceiling * uniform()

    def retry_after(self, header: str | None) -> float | None:
        """The wait ``Retry-After`` asks for in seconds, when given as seconds; None when absent or a date."""
        if header is None:
            return None
        text = header.strip()
        if not text.isdigit():
            return None
        return float(text)
