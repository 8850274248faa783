"""Hostile path and query values are refused with a 422 before they reach the audit, which stays intact.

Every audited route that takes a patient's NHS number (or a specialty code) from its path or query is
tried with values that are not one; each must be refused as invalid, never answered 500 or 503, and the
chain must verify afterwards, on SQLite and PostgreSQL (where an over-long value once failed the append).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.core.config import Settings
from app.core.deps import SESSION_COOKIE
from app.web.csrf import CSRF_FIELD, issue_token
from tests.support.identity import IdentityProvider, bearer

VALID_PATIENT = "9434765919"

HOSTILE_VALUES = {
    "eleven digits": "99900010060",
    "nine digits": "999000100",
    "letters": "ABCDEFGHIJ",
    "300 characters": "9" * 300,
    "percent-encoded NUL": "%00",
    "NUL after ten digits": f"{VALID_PATIENT}%00",
    "unicode digits": "٩٩٩٠٠٠١٠٠٦",
    "negative": "-943476591",
    "wrong check digit": "9434765918",
}


@pytest.fixture
def app_database_url(database_url: str) -> str:
    return database_url


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    caller: str
    page: bool = False


ROUTES = {
    "summary": Route("GET", "/v1/patients/{value}/summaries/nephrology", "consultant"),
    "registration read": Route("GET", "/v1/registrations/{value}", "admin"),
    "registration write": Route("PUT", "/v1/registrations/{value}", "admin"),
    "audit trail": Route("GET", "/v1/audit?nhs_number={value}", "admin"),
    "advice requests": Route("GET", "/v1/advice-requests?nhs_number={value}", "practice"),
    "patient page": Route("GET", "/clinics/any-clinic/patients/{value}", "consultant", page=True),
    "advice form": Route("POST", "/clinics/any-clinic/patients/{value}/advice", "consultant", page=True),
}
SPECIALTY_ROUTE = Route("GET", f"/v1/patients/{VALID_PATIENT}/summaries/{{value}}", "consultant")
HOSTILE_SPECIALTIES = {
    "300 characters": "n" * 300,
    "percent-encoded NUL": "nephrology%00",
    "unicode letters": "néphrologie",
    "upper case": "NEPHROLOGY",
}


async def _send(
    client: httpx.AsyncClient, route: Route, value: str, identity: IdentityProvider, settings: Settings
) -> httpx.Response:
    token = {
        "consultant": identity.consultant(),
        "admin": identity.admin(),
        "practice": identity.practice(),
    }[route.caller]
    url = route.template.format(value=value)
    if not route.page:
        body = {"practice_ods": "A12345"} if route.method == "PUT" else None
        return await client.request(route.method, url, headers=bearer(token), json=body)
    client.cookies.set(SESSION_COOKIE, token)
    try:
        form = {CSRF_FIELD: issue_token(settings.secret_key.get_secret_value(), token)}
        return await client.request(route.method, url, data=form if route.method == "POST" else None)
    finally:
        client.cookies.clear()


def _assert_refused_as_invalid(route: Route, response: httpx.Response) -> None:
    assert response.status_code == 422, (response.status_code, response.text[:300])
    expected = "text/html" if route.page else "application/problem+json"
    assert response.headers["content-type"].startswith(expected)


async def _assert_chain_intact(app: FastAPI, settings: Settings, events: int) -> None:
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
    assert verdict.intact, verdict.problems
    assert verdict.events == events


async def test_hostile_nhs_numbers_are_refused_and_the_chain_verifies(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    for route in ROUTES.values():
        for value in HOSTILE_VALUES.values():
            _assert_refused_as_invalid(route, await _send(client, route, value, identity, settings))
    # Each refusal a route makes is itself on record, with no patient named. A control character in a query
    # is refused before any route is chosen (app.core.address), so those probes reach no audited route.
    refused_at_the_address = sum(
        1
        for route in ROUTES.values()
        for value in HOSTILE_VALUES.values()
        if "?" in route.template and "%00" in value
    )
    await _assert_chain_intact(
        app, settings, events=len(ROUTES) * len(HOSTILE_VALUES) - refused_at_the_address
    )


async def test_hostile_specialty_codes_are_refused_and_the_chain_verifies(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    for value in HOSTILE_SPECIALTIES.values():
        _assert_refused_as_invalid(
            SPECIALTY_ROUTE, await _send(client, SPECIALTY_ROUTE, value, identity, settings)
        )
    await _assert_chain_intact(app, settings, events=len(HOSTILE_SPECIALTIES))


async def test_a_refused_probe_is_on_record_naming_no_patient(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    url = "/v1/patients/99900010060/summaries/nephrology"
    assert (await client.get(url, headers=bearer(identity.consultant()))).status_code == 422
    async with app.state.session_factory() as session:
        [event] = (await session.execute(select(AuditEvent))).scalars()
    assert (event.outcome, event.status, event.nhs_number) == ("failed", 422, None)
    assert event.action == "GET /v1/patients/{nhs_number}/summaries/{specialty}"
