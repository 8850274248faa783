"""Resilient HTTP shared by every upstream adapter: retries, circuit breaking, deadlines, error mapping."""

from adapters.http.breaker import BreakerState, CircuitBreaker, CircuitOpen
from adapters.http.client import UpstreamClient
from adapters.http.deadline import Deadline, current_deadline, upstream_deadline
from adapters.http.decoding import decode_json
from adapters.http.retry import RetryPolicy

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpen",
    "Deadline",
    "RetryPolicy",
    "UpstreamClient",
    "current_deadline",
    "decode_json",
    "upstream_deadline",
]
