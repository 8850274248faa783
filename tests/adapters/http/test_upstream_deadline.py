"""One deadline for all the tries of a request: a slow or failing upstream cannot hold an answer past it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from adapters.errors import UpstreamTimeout, UpstreamUnavailable
from adapters.http import RetryPolicy, UpstreamClient, upstream_deadline

URL = "https://gp.example/fhir/Patient"
PATIENT = {"resourceType": "Patient"}


@pytest.fixture
def gp() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def slow(seconds: float, answer: httpx.Response) -> object:
    async def respond(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(seconds)
        return answer

    return respond


async def test_a_request_that_hangs_is_cut_off_at_the_deadline(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.get(URL).mock(side_effect=slow(10.0, httpx.Response(200, json=PATIENT)))
    started = time.monotonic()

    with upstream_deadline(0.2), pytest.raises(UpstreamTimeout, match=r"the 0\.2 s deadline .* ran out"):
        await UpstreamClient("practice A12345", http).send("GET", URL)

    assert time.monotonic() - started < 1.0


async def test_a_slow_failing_gp_gets_no_more_tries_than_the_deadline_allows(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    tries: list[float] = []

    async def unavailable_after_a_while(request: httpx.Request) -> httpx.Response:
        tries.append(time.monotonic())
        await asyncio.sleep(0.1)
        return httpx.Response(503)

    gp.get(URL).mock(side_effect=unavailable_after_a_while)
    retry = RetryPolicy(attempts=20, base_delay=0.01, max_delay=0.01)
    started = time.monotonic()

    with upstream_deadline(0.35), pytest.raises(UpstreamTimeout):
        await UpstreamClient("practice A12345", http, retry=retry).send("GET", URL)

    assert time.monotonic() - started < 1.0
    assert 2 <= len(tries) <= 4


async def test_a_retry_whose_wait_outlasts_the_deadline_is_not_made(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    route = gp.get(URL).mock(return_value=httpx.Response(503, headers={"Retry-After": "1"}))
    started = time.monotonic()

    with upstream_deadline(0.3), pytest.raises(UpstreamTimeout, match="HTTP 503"):
        await UpstreamClient("practice A12345", http).send("GET", URL)

    assert route.call_count == 1
    assert time.monotonic() - started < 0.3


async def test_nothing_is_sent_once_the_deadline_has_passed(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    route = gp.get(URL).mock(return_value=httpx.Response(200, json=PATIENT))

    with upstream_deadline(0.05):
        await asyncio.sleep(0.06)
        with pytest.raises(UpstreamTimeout, match="before it was sent"):
            await UpstreamClient("practice A12345", http).send("GET", URL)

    assert route.call_count == 0


async def test_an_inner_deadline_cannot_outlast_the_one_around_it(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    gp.get(URL).mock(side_effect=slow(10.0, httpx.Response(200, json=PATIENT)))
    started = time.monotonic()

    with upstream_deadline(0.2), upstream_deadline(30.0), pytest.raises(UpstreamTimeout):
        await UpstreamClient("practice A12345", http).send("GET", URL)

    assert time.monotonic() - started < 1.0


async def test_without_a_deadline_failures_are_retried_as_before(
    gp: respx.MockRouter, http: httpx.AsyncClient
) -> None:
    route = gp.get(URL).mock(return_value=httpx.Response(503))
    retry = RetryPolicy(attempts=3, base_delay=0.0)

    with pytest.raises(UpstreamUnavailable):
        await UpstreamClient("practice A12345", http, retry=retry).send("GET", URL)

    assert route.call_count == 3
