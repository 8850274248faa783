"""A circuit breaker per upstream: a practice system that is down fails fast instead of tying up requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from adapters.errors import UpstreamUnavailable


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitOpen(UpstreamUnavailable):
    """The breaker refused the request: nothing was sent, so the upstream was not tried.

    ``retry_in`` is how many seconds until the breaker may let a trial through. A caller that counts its
    tries (the outbox) tells this apart from a failure the upstream gave, and does not count it.
    """

    def __init__(self, source: str, *, retry_in: float) -> None:
        super().__init__(source, "circuit open after repeated failures; not trying")
        self.retry_in = retry_in


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures; ``reset_after`` seconds later, one trial goes.

    The trial's success closes the breaker and its failure opens it again for another ``reset_after``. A trial
    whose caller never reports back (cancelled mid-flight) is given up after ``reset_after``, so the breaker
    cannot stay half-open for ever. One breaker serves one upstream, within one event loop.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started_at: float | None = None

    @property
    def state(self) -> BreakerState:
        return self._state

    def allow(self) -> bool:
        """Whether a request may go to the upstream now."""
        if self._state is BreakerState.CLOSED:
            return True
        now = self._clock()
        if self._state is BreakerState.OPEN:
            if now - self._opened_at < self.reset_after:
                return False
            self._state = BreakerState.HALF_OPEN
            self._trial_started_at = now
            return True
        if self._trial_started_at is not None and now - self._trial_started_at < self.reset_after:
            return False
        self._trial_started_at = now
        return True

    def seconds_until_trial(self) -> float:
        """How long until ``allow`` may say yes again; 0 when it may now. Changes nothing."""
        if self._state is BreakerState.CLOSED:
            return 0.0
        since = self._opened_at if self._state is BreakerState.OPEN else self._trial_started_at
        if since is None:
            return 0.0
        return max(0.0, self.reset_after - (self._clock() - since))

    def record_success(self) -> None:
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._trial_started_at = None

    def record_failure(self) -> None:
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
            self._state = BreakerState.OPEN
            self._opened_at = self._clock()
            self._trial_started_at = None
