"""Oversized requests are refused before their bodies are read, and no /v1 answer may be cached."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.deps import SESSION_COOKIE
from app.core.limits import server_header_cap
from app.main import create_app
from tests.support.identity import IdentityProvider, bearer
from tests.support.live_server import live_server

MAX_BODY = 16 * 1024
MAX_HEADERS = 8 * 1024
CHUNK = 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_body_bytes": MAX_BODY, "max_header_bytes": MAX_HEADERS})


@dataclass
class RecordedBody:
    """A streamed request body that counts how much of it the service pulled."""

    chunks: int
    pulled: int = 0

    async def stream(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += CHUNK
            yield b" " * CHUNK


def _is_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def test_a_declared_oversized_body_gets_413_before_it_is_read(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    body = RecordedBody(chunks=MAX_BODY // CHUNK * 4)
    headers = {**bearer(identity.consultant()), "Content-Length": str(body.chunks * CHUNK)}
    response = await client.post("/v1/clinics", content=body.stream(), headers=headers)
    _is_problem(response, 413)
    assert str(MAX_BODY) in response.json()["detail"]
    assert body.pulled == 0


async def test_a_chunked_oversized_body_is_cut_off_at_the_limit(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    body = RecordedBody(chunks=MAX_BODY // CHUNK * 100)
    response = await client.post("/v1/clinics", content=body.stream(), headers=bearer(identity.consultant()))
    assert "content-length" not in response.request.headers
    _is_problem(response, 413)
    assert body.pulled <= MAX_BODY + CHUNK


async def test_a_chunked_oversized_page_form_is_cut_off_too(client: httpx.AsyncClient) -> None:
    body = RecordedBody(chunks=MAX_BODY // CHUNK * 100)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post("/sign-in", content=body.stream(), headers=headers)
    assert response.status_code == 413
    assert body.pulled <= MAX_BODY + CHUNK


async def test_a_body_within_the_limit_is_read_as_before(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    submission = {
        "specialty": "nephrology",
        "date": "2031-01-06",
        "consultant": {"sub": "dr-lee", "name": "Dr Lee"},
    }
    response = await client.post("/v1/clinics", json=submission, headers=bearer(identity.consultant()))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("credential", "status"),
    [
        pytest.param({}, 401, id="no credential"),
        pytest.param({"Authorization": "Bearer not.a.token"}, 401, id="forged bearer token"),
        pytest.param({"Authorization": "Basic ZHI6bGVl"}, 401, id="basic credentials"),
        pytest.param({"Cookie": f"{SESSION_COOKIE}=forged"}, 403, id="forged cookie without csrf header"),
    ],
)
@pytest.mark.parametrize("chunks", [2, MAX_BODY // CHUNK * 4], ids=["within the limit", "oversized"])
async def test_an_unauthenticated_streamed_write_is_refused_without_its_body_being_read(
    client: httpx.AsyncClient, credential: dict[str, str], status: int, chunks: int
) -> None:
    body = RecordedBody(chunks=chunks)
    response = await client.post("/v1/advice-requests", content=body.stream(), headers=credential)
    _is_problem(response, status)
    assert body.pulled == 0


async def test_a_forged_token_is_refused_before_a_declared_body_is_read(client: httpx.AsyncClient) -> None:
    body = RecordedBody(chunks=4)
    headers = {"Authorization": "Bearer not.a.token", "Content-Length": str(4 * CHUNK)}
    response = await client.post("/v1/clinics", content=body.stream(), headers=headers)
    _is_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert body.pulled == 0


async def test_an_oversized_declared_body_without_a_token_is_refused_unread(
    client: httpx.AsyncClient,
) -> None:
    body = RecordedBody(chunks=MAX_BODY // CHUNK * 4)
    headers = {"Content-Length": str(body.chunks * CHUNK)}
    response = await client.post("/v1/clinics", content=body.stream(), headers=headers)
    assert response.status_code in (401, 413)
    assert body.pulled == 0


@pytest.mark.parametrize("path", ["/v1/clinics", "/healthz", "/sign-in"])
async def test_oversized_headers_get_431(
    client: httpx.AsyncClient, identity: IdentityProvider, path: str
) -> None:
    headers = {**bearer(identity.consultant()), "X-Padding": "a" * MAX_HEADERS}
    response = await client.get(path, headers=headers)
    _is_problem(response, 431)


async def test_headers_within_the_limit_are_accepted(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    headers = {**bearer(identity.consultant()), "X-Padding": "a" * (MAX_HEADERS // 2)}
    response = await client.get("/v1/clinics", headers=headers)
    assert response.status_code == 200


def test_the_served_process_cuts_off_huge_headers_itself(settings: Settings) -> None:
    cap = server_header_cap(settings.max_header_bytes)
    with (
        live_server(create_app(settings), http="h11", h11_max_incomplete_event_size=cap) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        just_over = http.get("/healthz", headers={"X-Padding": "a" * MAX_HEADERS})
        _is_problem(just_over, 431)
        try:
            huge_status: int | None = http.get(
                "/healthz", headers={"X-Padding": "a" * 1024 * 1024}
            ).status_code
        except httpx.TransportError:
            huge_status = None  # the server hung up while the headers were still arriving
        assert huge_status in (400, None)
        assert http.get("/healthz").status_code == 200


def test_the_default_limits_suit_json_and_a_token() -> None:
    defaults = Settings.model_fields
    assert defaults["max_body_bytes"].default == 1024 * 1024
    assert defaults["max_header_bytes"].default == 16 * 1024


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "9990001234", path)


def _api_operations(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), _concrete(path))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method in operations
    )


@pytest.fixture
async def lenient_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets the service's 500 answer rather than the exception behind it."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_every_api_response_is_marked_no_store(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    operations = _api_operations(app)
    assert len(operations) >= 15
    callers = {
        "consultant": identity.consultant(),
        "practice": identity.practice(),
        "admin": identity.admin(),
    }
    statuses: set[int] = set()
    for method, path in operations:
        for headers in [{}, *(bearer(token) for token in callers.values())]:
            response = await client.request(
                method, path, headers={**headers, "Idempotency-Key": "k-1"}, json={}
            )
            statuses.add(response.status_code)
            assert response.headers.get("cache-control") == "no-store", (method, path, response.status_code)
    assert {200, 401, 403, 404, 422} <= statuses


async def test_api_errors_from_every_layer_are_marked_no_store(
    app: FastAPI, lenient_client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    async def failing_route() -> None:
        raise RuntimeError("a fault the service did not foresee")

    app.add_api_route("/v1/failing", failing_route)
    consultant = bearer(identity.consultant())
    answers = [
        await lenient_client.get("/v1/failing", headers=consultant),
        await lenient_client.get("/v1/no-such-thing", headers=consultant),
        await lenient_client.get("/v1/clinics", headers={**consultant, "X-Padding": "a" * MAX_HEADERS}),
        await lenient_client.post("/v1/clinics", headers={**consultant, "Content-Length": str(MAX_BODY + 1)}),
        await lenient_client.post(
            "/v1/clinics", headers={"Cookie": f"{SESSION_COOKIE}={identity.consultant()}"}, json={}
        ),
    ]
    assert [answer.status_code for answer in answers] == [500, 404, 431, 413, 403]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store", answer.status_code
