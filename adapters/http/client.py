"""One resilient way to call any upstream: retries, a circuit breaker, and the project's own errors.

Status handling (the caller sees either an ``httpx.Response`` or an ``UpstreamError``):

    2xx, 4xx other than 401/403/429   returned; the caller decides what a 404 or 422 means
    401, 403                          UpstreamRefused at once
    429, 503, connect error           retried (idempotent only), then UpstreamUnavailable
    502                               retried (idempotent only), then UpstreamBadResponse
    504, timeout                      retried (idempotent only), then UpstreamTimeout
    other 5xx, 1xx/3xx, protocol      UpstreamBadResponse at once

The breaker counts a request as failed once its retries are spent, so it opens on an upstream that stays down,
not on a blip the retries absorbed. Answers of any kind, refusals included, show the upstream is up.

Under an overall deadline (``deadline.upstream_deadline``) each try gets only the time left, and a retry that
could not start before it ends is not made: the request then fails with ``UpstreamTimeout``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from asyncio import sleep
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from adapters.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.http.breaker import CircuitBreaker, CircuitOpen
from adapters.http.deadline import Deadline, current_deadline
from adapters.http.retry import RetryPolicy

log = logging.getLogger("vclinic.upstream")

_RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
# Query strings carry NHS numbers and are never logged; some APIs (PDS: GET /Patient/<nhs>) put one in a path.
_NHS_NUMBER_IN_PATH = re.compile(r"(?<!\d)\d{10}(?!\d)")


@dataclass(frozen=True, slots=True)
class _Failure:
    error: UpstreamError
    retryable: bool
    wait: float | None = None


def _loggable_path(request: httpx.Request) -> str:
    return _NHS_NUMBER_IN_PATH.sub("**********", request.url.path)


def _ran_out(deadline: Deadline) -> str:
    return f"the {deadline.seconds:g} s deadline for the upstream work ran out"


class UpstreamClient:
    """Sends requests to one upstream (``source`` names it, e.g. "practice A12345"; never patient data)."""

    def __init__(
        self,
        source: str,
        client: httpx.AsyncClient,
        *,
        retry: RetryPolicy = RetryPolicy(),
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.source = source
        self._client = client
        self._retry = retry
        self._breaker = breaker

    async def send(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """The upstream's response, or an ``UpstreamError`` as the module's table says.

        Only idempotent requests are retried: a POST that timed out may still have been acted on. A caller
        sending many requests to URLs it has built as ``httpx.URL`` saves httpx parsing each one again.
        """
        try:
            request = self._client.build_request(method, url, params=params, headers=headers, content=content)
        except httpx.InvalidURL:
            raise UpstreamBadResponse(self.source, f"{method} to an invalid URL") from None
        deadline = current_deadline()
        if deadline is not None and deadline.remaining() <= 0:
            detail = f"{method} {_loggable_path(request)}: {_ran_out(deadline)} before it was sent"
            raise UpstreamTimeout(self.source, detail)
        if self._breaker is not None and not self._breaker.allow():
            raise CircuitOpen(self.source, retry_in=self._breaker.seconds_until_trial())
        attempts = self._retry.attempts if idempotent else 1
        attempt = 1
        outcome = await self._attempt(request, attempt, deadline)
        while isinstance(outcome, _Failure) and outcome.retryable and attempt < attempts:
            wait = outcome.wait if outcome.wait is not None else self._retry.backoff(attempt)
            if deadline is not None and wait >= deadline.remaining():
                outcome = _Failure(
                    UpstreamTimeout(self.source, f"{outcome.error.detail}; {_ran_out(deadline)}"),
                    retryable=False,
                )
                break
            await sleep(wait)
            attempt += 1
            outcome = await self._attempt(request, attempt, deadline)
        return self._settle(outcome)

    def _settle(self, outcome: httpx.Response | _Failure) -> httpx.Response:
        if isinstance(outcome, httpx.Response):
            self._record(success=True)
            return outcome
        self._record(success=isinstance(outcome.error, UpstreamRefused))
        raise outcome.error

    def _record(self, *, success: bool) -> None:
        if self._breaker is None:
            return
        if success:
            self._breaker.record_success()
        else:
            self._breaker.record_failure()

    async def _attempt(
        self, request: httpx.Request, attempt: int, deadline: Deadline | None
    ) -> httpx.Response | _Failure:
        path = _loggable_path(request)
        # The httpx error is not kept as the cause: it holds the request, whose URL holds the NHS number.
        try:
            async with asyncio.timeout(None if deadline is None else deadline.remaining()):
                response = await self._client.send(request)
        except TimeoutError as exc:
            assert deadline is not None
            failure = self._failed(request, path, attempt, exc, UpstreamTimeout, retryable=False)
            detail = f"{failure.error.detail}: {_ran_out(deadline)}"
            return _Failure(UpstreamTimeout(self.source, detail), retryable=False)
        except httpx.TimeoutException as exc:
            return self._failed(request, path, attempt, exc, UpstreamTimeout, retryable=True)
        except httpx.ConnectError as exc:
            return self._failed(request, path, attempt, exc, UpstreamUnavailable, retryable=True)
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            return self._failed(request, path, attempt, exc, UpstreamBadResponse, retryable=False)
        return self._classify(request, path, attempt, response)

    def _classify(
        self, request: httpx.Request, path: str, attempt: int, response: httpx.Response
    ) -> httpx.Response | _Failure:
        status = response.status_code
        self._log(logging.INFO, request, path, status, attempt)
        if 200 <= status < 300 or (400 <= status < 500 and status not in (401, 403, 429)):
            return response
        detail = f"{request.method} {path}: HTTP {status}"
        if status in (401, 403):
            return _Failure(UpstreamRefused(self.source, detail), retryable=False)
        if status not in _RETRYABLE_STATUSES:
            return _Failure(UpstreamBadResponse(self.source, detail), retryable=False)
        error_type: type[UpstreamError] = {502: UpstreamBadResponse, 504: UpstreamTimeout}.get(
            status, UpstreamUnavailable
        )
        wait = None
        if status in _RETRY_AFTER_STATUSES:
            wait = self._retry.retry_after(response.headers.get("retry-after"))
        if wait is not None and wait > self._retry.max_delay:
            return _Failure(error_type(self.source, f"{detail}, retry after {wait:g} s"), retryable=False)
        return _Failure(error_type(self.source, detail), retryable=True, wait=wait)

    def _failed(
        self,
        request: httpx.Request,
        path: str,
        attempt: int,
        exc: Exception,
        error_type: type[UpstreamError],
        *,
        retryable: bool,
    ) -> _Failure:
        what = type(exc).__name__
        self._log(logging.WARNING, request, path, what, attempt)
        return _Failure(error_type(self.source, f"{request.method} {path}: {what}"), retryable=retryable)

    def _log(self, level: int, request: httpx.Request, path: str, status: int | str, attempt: int) -> None:
        if not log.isEnabledFor(level):
            return
        log.log(
            level,
            "%s %s %s -> %s (attempt %d)",
            self.source,
            request.method,
            path,
            status,
            attempt,
            extra={
                "upstream": self.source,
                "method": request.method,
                "path": path,
                "status": status,
                "attempt": attempt,
            },
        )
