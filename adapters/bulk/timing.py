"""How long an export may take, and how long to wait between polls of its status."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class BulkTiming:
    """Polling and time limits for one export (HL7 Bulk Data Access 2.0, "Bulk Data Status Request").

    The server's ``Retry-After`` is followed when it gives one, as seconds or as an HTTP-date, but never
    beyond ``max_poll_delay``: a job still running after that wait is asked again rather than trusted to say
    when it will finish. Without one the wait doubles from ``first_poll_delay`` up to ``max_poll_delay``, with
    full jitter so that many practices' exports do not poll in step; the spec asks for exponential backoff,
    and a server polled too often answers 429.

    ``request_seconds`` bounds each request (a kick-off, one poll, the wait for a download's next chunk);
    ``ceiling_seconds`` bounds the whole export, waits and downloads included. A server that is busy with
    another export (429 at kick-off) is tried again after its ``Retry-After`` up to ``busy_attempts`` times
    in all, while the ceiling allows. ``cancel_seconds`` bounds the ``DELETE`` sent when a run stops early.
    """

    request_seconds: float = 10.0
    ceiling_seconds: float = 3600.0
    first_poll_delay: float = 1.0
    max_poll_delay: float = 60.0
    busy_attempts: int = 5
    cancel_seconds: float = 5.0

    def backoff(self, poll_number: int, uniform: Callable[[], float] = random.random) -> float:
        """Seconds before poll ``poll_number`` + 1 when the server gave no ``Retry-After``."""
        ceiling = min(self.max_poll_delay, self.first_poll_delay * 2.0 ** (poll_number - 1))
        return ceiling * (0.5 + 0.5 * uniform())

    def next_poll(self, retry_after: str | None, poll_number: int, now: datetime | None = None) -> float:
        """Seconds to wait before the next poll: the server's ``Retry-After`` (capped), else the backoff."""
        asked = retry_after_seconds(retry_after, now)
        if asked is None:
            return self.backoff(poll_number)
        return min(asked, self.max_poll_delay)


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` (RFC 9110 §10.2.3) as seconds from ``now``: delay-seconds or an HTTP-date.

    None when absent or unreadable; a date in the past is no wait at all.
    """
    if header is None:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
