"""Turnaround in words, as the practice's page shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.web.turnaround import duration_in_words, turnaround

ASKED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("elapsed", "words"),
    [
        (timedelta(days=2, hours=3, minutes=59), "2 days 3 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=1, hours=1), "1 day 1 hour"),
        (timedelta(hours=5, minutes=1), "5 hours 1 minute"),
        (timedelta(minutes=42), "42 minutes"),
        (timedelta(seconds=59), "under a minute"),
        (timedelta(seconds=-30), "under a minute"),
    ],
)
def test_a_duration_reads_in_days_and_hours_or_hours_and_minutes(elapsed: timedelta, words: str) -> None:
    assert duration_in_words(elapsed) == words


def test_the_turnaround_runs_from_the_request_to_the_first_advice() -> None:
    advised = ASKED + timedelta(days=2, hours=3)
    assert turnaround(ASKED, advised, now=advised + timedelta(days=9)) == "2 days 3 hours"


def test_while_no_advice_is_given_the_page_says_how_long_the_practice_has_waited() -> None:
    assert turnaround(ASKED, None, now=ASKED + timedelta(hours=20)) == "waiting 20 hours"
