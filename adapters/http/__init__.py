"""Resilient HTTP shared by every upstream adapter: retries, circuit breaking, error translation."""

from adapters.http.breaker import BreakerState, CircuitBreaker, CircuitOpen
from adapters.http.client import UpstreamClient
from adapters.http.decoding import decode_json
from adapters.http.retry import RetryPolicy

__all__ = ["BreakerState", "CircuitBreaker", "CircuitOpen", "RetryPolicy", "UpstreamClient", "decode_json"]
