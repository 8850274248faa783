"""How long the practice waited for advice, in words: "2 days 3 hours".

Elapsed time on the clock, not working days: the practice and the patient wait through weekends too, and
peers quote their response times this way (Champlain BASE's median of 21 hours; e-RS A&G's 5 days).
"""

from __future__ import annotations

from datetime import datetime, timedelta


def _unit(count: int, name: str) -> str:
    return f"{count} {name}{'' if count == 1 else 's'}"


def duration_in_words(elapsed: timedelta) -> str:
    """Days and hours; hours and minutes under a day; "under a minute" below that. Never negative."""
    minutes = max(int(elapsed.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _unit(days, "day") + (f" {_unit(hours, 'hour')}" if hours else "")
    if hours:
        return _unit(hours, "hour") + (f" {_unit(minutes, 'minute')}" if minutes else "")
    return _unit(minutes, "minute") if minutes else "under a minute"


def turnaround(asked_at: datetime, advised_at: datetime | None, now: datetime) -> str:
    """From the request to the first advice; while none is given, how long the practice has waited."""
    if advised_at is None:
        return f"waiting {duration_in_words(now - asked_at)}"
    return duration_in_words(advised_at - asked_at)
