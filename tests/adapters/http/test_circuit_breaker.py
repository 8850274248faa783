"""CircuitBreaker: closed, open after consecutive failures, one half-open trial after the reset time."""

from __future__ import annotations

from adapters.http import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def opened(clock: Clock, threshold: int = 3) -> CircuitBreaker:
    breaker = CircuitBreaker(failure_threshold=threshold, reset_after=30.0, clock=clock)
    for _ in range(threshold):
        breaker.record_failure()
    return breaker


def test_a_new_breaker_is_closed_and_allows_requests() -> None:
    breaker = CircuitBreaker()

    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_the_defaults_are_five_failures_and_thirty_seconds() -> None:
    breaker = CircuitBreaker()

    assert (breaker.failure_threshold, breaker.reset_after) == (5, 30.0)


def test_it_opens_after_the_threshold_of_consecutive_failures() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.allow()

    breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_a_success_resets_the_count_of_failures() -> None:
    breaker = CircuitBreaker(failure_threshold=3, clock=Clock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()

    assert breaker.state is BreakerState.CLOSED


def test_it_stays_open_until_the_reset_time_has_passed() -> None:
    clock = Clock()
    breaker = opened(clock)

    clock.now += 29.9

    assert not breaker.allow()


def test_after_the_reset_time_one_trial_goes_and_the_rest_wait() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 30.0

    assert breaker.allow()
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow()


def test_a_successful_trial_closes_the_breaker() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 30.0
    breaker.allow()

    breaker.record_success()

    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_a_failed_trial_opens_it_for_another_reset_time() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 30.0
    breaker.allow()

    breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    clock.now += 29.0
    assert not breaker.allow()
    clock.now += 1.0
    assert breaker.allow()


def test_a_trial_that_never_reports_back_is_given_up_after_the_reset_time() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now += 30.0
    assert breaker.allow()

    clock.now += 30.0

    assert breaker.allow()
