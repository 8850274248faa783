"""Polling follows the server's Retry-After, as seconds or a date, within a cap, and backs off without it."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.bulk import BulkTiming, retry_after_seconds

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=UTC)


def test_retry_after_in_seconds_is_read() -> None:
    assert retry_after_seconds(" 120 ", NOW) == 120.0


def test_retry_after_as_an_http_date_is_read_as_the_seconds_until_then() -> None:
    assert retry_after_seconds("Sun, 22 Nov 2026 09:00:30 GMT", NOW) == 30.0


def test_retry_after_in_the_past_is_no_wait() -> None:
    assert retry_after_seconds("Sun, 22 Nov 2026 08:00:00 GMT", NOW) == 0.0


def test_retry_after_that_is_neither_is_ignored() -> None:
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


def test_the_servers_wait_is_followed_up_to_the_cap() -> None:
    timing = BulkTiming(max_poll_delay=60.0)

    assert timing.next_poll("5", 1, NOW) == 5.0
    assert timing.next_poll("3600", 1, NOW) == 60.0


def test_without_retry_after_the_wait_doubles_up_to_the_cap() -> None:
    timing = BulkTiming(first_poll_delay=1.0, max_poll_delay=10.0)

    waits = [timing.backoff(n, uniform=lambda: 1.0) for n in range(1, 7)]

    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert timing.backoff(3, uniform=lambda: 0.0) == 2.0
