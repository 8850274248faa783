"""UpstreamClient: what each upstream status and failure becomes, retries, Retry-After and the breaker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from adapters.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.http import BreakerState, CircuitBreaker, RetryPolicy, UpstreamClient
from adapters.http import client as client_module

BASE = "https://gp.example/fhir"
URL = f"{BASE}/Patient"
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=2.0)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client's waits between attempts, recorded instead of slept."""
    recorded: list[float] = []

    async def no_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(client_module, "sleep", no_sleep)
    return recorded


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def upstream(http: httpx.AsyncClient, breaker: CircuitBreaker | None = None) -> UpstreamClient:
    return UpstreamClient("practice A12345", http, retry=FAST, breaker=breaker)


@respx.mock
async def test_success_is_returned(http: httpx.AsyncClient) -> None:
    respx.get(URL).respond(200, json={"resourceType": "Bundle"})

    response = await upstream(http).send("GET", URL)

    assert response.status_code == 200


@respx.mock
@pytest.mark.parametrize("status", [400, 404, 409, 410, 422])
async def test_client_errors_other_than_refusals_are_returned_for_the_caller_to_judge(
    http: httpx.AsyncClient, status: int
) -> None:
    route = respx.get(URL).respond(status)

    response = await upstream(http).send("GET", URL)

    assert response.status_code == status
    assert route.call_count == 1


@respx.mock
@pytest.mark.parametrize("status", [401, 403])
async def test_refusal_raises_refused_without_retrying(http: httpx.AsyncClient, status: int) -> None:
    route = respx.get(URL).respond(status)

    with pytest.raises(UpstreamRefused):
        await upstream(http).send("GET", URL)
    assert route.call_count == 1


@respx.mock
async def test_a_503_is_retried_until_it_succeeds(http: httpx.AsyncClient, waits: list[float]) -> None:
    route = respx.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200)])

    response = await upstream(http).send("GET", URL)

    assert response.status_code == 200
    assert route.call_count == 3
    assert len(waits) == 2


@respx.mock
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, UpstreamUnavailable),
        (503, UpstreamUnavailable),
        (502, UpstreamBadResponse),
        (504, UpstreamTimeout),
    ],
)
async def test_retryable_status_that_persists_raises_after_every_attempt(
    http: httpx.AsyncClient, waits: list[float], status: int, error: type[UpstreamError]
) -> None:
    route = respx.get(URL).respond(status)

    with pytest.raises(error):
        await upstream(http).send("GET", URL)
    assert route.call_count == 3


@respx.mock
@pytest.mark.parametrize("status", [500, 501, 505])
async def test_other_server_errors_are_bad_responses_at_once(http: httpx.AsyncClient, status: int) -> None:
    route = respx.get(URL).respond(status)

    with pytest.raises(UpstreamBadResponse):
        await upstream(http).send("GET", URL)
    assert route.call_count == 1


@respx.mock
async def test_connect_errors_are_retried_then_unavailable(
    http: httpx.AsyncClient, waits: list[float]
) -> None:
    route = respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(UpstreamUnavailable):
        await upstream(http).send("GET", URL)
    assert route.call_count == 3


@respx.mock
async def test_timeouts_are_retried_then_timeout(http: httpx.AsyncClient, waits: list[float]) -> None:
    route = respx.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(UpstreamTimeout):
        await upstream(http).send("GET", URL)
    assert route.call_count == 3


@respx.mock
async def test_a_timeout_then_success_returns_the_response(
    http: httpx.AsyncClient, waits: list[float]
) -> None:
    respx.get(URL).mock(side_effect=[httpx.ConnectTimeout("slow"), httpx.Response(200)])

    assert (await upstream(http).send("GET", URL)).status_code == 200


@respx.mock
@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("reset"),
        httpx.DecodingError("bad gzip"),
        httpx.TooManyRedirects("loop"),
        httpx.UnsupportedProtocol("gopher"),
    ],
)
async def test_no_httpx_exception_escapes(http: httpx.AsyncClient, failure: Exception) -> None:
    respx.get(URL).mock(side_effect=failure)

    with pytest.raises(UpstreamBadResponse) as caught:
        await upstream(http).send("GET", URL)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


@respx.mock
async def test_unexpected_redirect_is_a_bad_response(http: httpx.AsyncClient) -> None:
    respx.get(URL).respond(302, headers={"Location": "https://elsewhere.example/"})

    with pytest.raises(UpstreamBadResponse):
        await upstream(http).send("GET", URL)


async def test_an_invalid_url_is_a_bad_response(http: httpx.AsyncClient) -> None:
    with pytest.raises(UpstreamBadResponse):
        await upstream(http).send("GET", "https://gp.example/fh\x01ir")


@respx.mock
async def test_requests_that_are_not_idempotent_are_never_retried(http: httpx.AsyncClient) -> None:
    route = respx.post(f"{BASE}/Communication").respond(503)

    with pytest.raises(UpstreamUnavailable):
        await upstream(http).send("POST", f"{BASE}/Communication", content=b"{}", idempotent=False)
    assert route.call_count == 1


@respx.mock
@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_in_seconds_is_honoured(
    http: httpx.AsyncClient, waits: list[float], status: int
) -> None:
    respx.get(URL).mock(
        side_effect=[httpx.Response(status, headers={"Retry-After": "1"}), httpx.Response(200)]
    )

    await upstream(http).send("GET", URL)

    assert waits == [1.0]


@respx.mock
async def test_retry_after_longer_than_max_delay_gives_up_at_once(
    http: httpx.AsyncClient, waits: list[float]
) -> None:
    route = respx.get(URL).respond(429, headers={"Retry-After": "30"})

    with pytest.raises(UpstreamUnavailable, match="retry after 30 s"):
        await upstream(http).send("GET", URL)
    assert route.call_count == 1
    assert waits == []


@respx.mock
async def test_without_retry_after_the_wait_is_jittered_backoff(
    http: httpx.AsyncClient, waits: list[float]
) -> None:
    respx.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200)])
    client = UpstreamClient("practice A12345", http, retry=RetryPolicy(base_delay=0.2, max_delay=2.0))

    await client.send("GET", URL)

    assert 0 <= waits[0] <= 0.2
    assert 0 <= waits[1] <= 0.4


def test_backoff_doubles_up_to_the_cap_and_jitters_over_all_of_it() -> None:
    policy = RetryPolicy(base_delay=0.2, max_delay=2.0)

    assert [policy.backoff(n, uniform=lambda: 1.0) for n in range(1, 7)] == pytest.approx(
        [0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    )
    assert policy.backoff(4, uniform=lambda: 0.0) == 0.0
    assert policy.backoff(4, uniform=lambda: 0.5) == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2", 2.0), (" 0 ", 0.0), (None, None), ("Wed, 21 Oct 2026 07:28:00 GMT", None), ("-1", None)],
)
def test_retry_after_is_read_in_seconds_only(header: str | None, seconds: float | None) -> None:
    assert RetryPolicy().retry_after(header) == seconds


@respx.mock
async def test_logs_carry_the_path_but_never_the_query_string(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    respx.get(URL).respond(200)
    caplog.set_level(logging.INFO, logger="vclinic.upstream")

    await upstream(http).send(
        "GET", URL, params={"identifier": "https://fhir.nhs.uk/Id/nhs-number|9434765919"}
    )

    assert "/fhir/Patient" in caplog.text
    assert "9434765919" not in caplog.text
    assert "identifier" not in caplog.text
    assert all(getattr(r, "upstream", None) == "practice A12345" for r in caplog.records)


@respx.mock
async def test_an_nhs_number_in_the_path_is_masked_in_logs_and_errors(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, waits: list[float]
) -> None:
    respx.get(f"{BASE}/Patient/9434765919").respond(503)
    caplog.set_level(logging.INFO, logger="vclinic.upstream")

    with pytest.raises(UpstreamUnavailable) as caught:
        await upstream(http).send("GET", f"{BASE}/Patient/9434765919")

    assert "9434765919" not in caplog.text
    assert "9434765919" not in str(caught.value)


@respx.mock
async def test_an_open_breaker_fails_fast_without_calling(
    http: httpx.AsyncClient, waits: list[float]
) -> None:
    route = respx.get(URL).respond(503)
    breaker = CircuitBreaker(failure_threshold=2, reset_after=30.0)
    client = upstream(http, breaker=breaker)
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            await client.send("GET", URL)
    calls = route.call_count

    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        await client.send("GET", URL)

    assert breaker.state is BreakerState.OPEN
    assert route.call_count == calls


@respx.mock
async def test_the_breaker_counts_a_request_once_its_retries_are_spent(
    http: httpx.AsyncClient, waits: list[float]
) -> None:
    respx.get(URL).respond(503)
    breaker = CircuitBreaker(failure_threshold=2)

    with pytest.raises(UpstreamUnavailable):
        await upstream(http, breaker=breaker).send("GET", URL)

    assert breaker.state is BreakerState.CLOSED


@respx.mock
async def test_a_refusal_shows_the_upstream_is_up(http: httpx.AsyncClient) -> None:
    respx.get(URL).respond(403)
    breaker = CircuitBreaker(failure_threshold=1)

    with pytest.raises(UpstreamRefused):
        await upstream(http, breaker=breaker).send("GET", URL)

    assert breaker.state is BreakerState.CLOSED


@respx.mock
async def test_a_half_open_trial_that_succeeds_closes_the_breaker(http: httpx.AsyncClient) -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, reset_after=30.0, clock=lambda: now[0])
    breaker.record_failure()
    respx.get(URL).respond(200)
    now[0] = 30.0

    await upstream(http, breaker=breaker).send("GET", URL)

    assert breaker.state is BreakerState.CLOSED
