"""The pages against the app in-process: a consultant signed in by cookie, and today's demo clinic."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from app.core.deps import SESSION_COOKIE
from app.web.demo_seed import seed_demo_clinic
from tests.support.identity import IdentityProvider, bearer

CSRF_VALUE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_in(page: str) -> str:
    found = CSRF_VALUE.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass(frozen=True)
class DemoClinic:
    id: str
    token: str

    async def worklist(self, client: httpx.AsyncClient) -> list[dict[str, object]]:
        response = await client.get(f"/v1/clinics/{self.id}/worklist", headers=bearer(self.token))
        assert response.status_code == 200, response.text
        entries: list[dict[str, object]] = response.json()["entries"]
        return entries


@pytest.fixture
async def demo_clinic(app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider) -> DemoClinic:
    await seed_demo_clinic(app.state.audit_log, app.state.practices, now=app.state.clock())
    token = identity.consultant()
    clinics = await client.get("/v1/clinics", headers=bearer(token))
    return DemoClinic(clinics.json()[0]["id"], token)


@pytest.fixture
async def consultant(
    app: FastAPI, identity: IdentityProvider, demo_clinic: DemoClinic
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client: the consultant's token in the session cookie, no Authorization header."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        http.cookies.set(SESSION_COOKIE, demo_clinic.token)
        yield http


@pytest.fixture
async def app_client_for_gp(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in with a GP system's token."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        http.cookies.set(SESSION_COOKIE, identity.practice())
        yield http
