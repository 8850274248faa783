"""Cookies, CSRF and the headers that keep the pages to their own scripts and styles."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.deps import SESSION_COOKIE
from app.web.csrf import PRESESSION_COOKIE, issue_token, token_is_valid
from app.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import TEST_SECRET
from tests.support.identity import IdentityProvider, bearer
from tests.web.conftest import DemoClinic, csrf_token_in

TEMPLATES = Path(__file__).parents[2] / "app" / "web" / "templates"
NEW_CLINIC = {
    "specialty": "nephrology",
    "date": "2031-01-06",
    "consultant": {"sub": "dr-lee", "name": "Dr Lee"},
}


async def _sign_in_form(client: httpx.AsyncClient) -> str:
    response = await client.get("/sign-in")
    assert response.status_code == 200
    return csrf_token_in(response.text)


async def test_pages_send_the_content_security_policy_and_security_headers(
    consultant: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    for path in ("/sign-in", "/", f"/clinics/{demo_clinic.id}"):
        response = await consultant.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"


async def test_static_assets_are_served_by_the_app(client: httpx.AsyncClient) -> None:
    for path in ("/static/css/app.css", "/static/js/app.js", "/static/favicon.svg"):
        response = await client.get(path)
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"


def test_templates_hold_no_inline_script_style_or_remote_asset() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\sstyle=|<style", text), template.name
        assert "https://" not in text, template.name


async def test_signing_in_with_a_token_sets_a_strict_http_only_cookie(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    form = {"csrf_token": await _sign_in_form(client), "token": identity.consultant()}
    response = await client.post("/sign-in", data=form)
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie


async def test_the_session_cookie_is_secure_over_https(app: FastAPI, identity: IdentityProvider) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as https:
        form = {"csrf_token": await _sign_in_form(https), "token": identity.consultant()}
        response = await https.post("/sign-in", data=form)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
    assert "Secure" in cookie


async def test_a_gp_token_cannot_sign_in_to_the_consultant_pages(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    form = {"csrf_token": await _sign_in_form(client), "token": identity.practice()}
    response = await client.post("/sign-in", data=form)
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


async def test_a_forged_token_cannot_sign_in(client: httpx.AsyncClient) -> None:
    form = {"csrf_token": await _sign_in_form(client), "token": "not.a.token"}
    response = await client.post("/sign-in", data=form)
    assert response.status_code == 401
    assert "Sign-in failed" in response.text


async def test_demo_sign_in_is_refused_outside_dev_mode(client: httpx.AsyncClient) -> None:
    page = await client.get("/sign-in")
    assert "Demo sign-in" not in page.text
    response = await client.post(
        "/sign-in/demo", data={"csrf_token": csrf_token_in(page.text), "identity": "dr-lee"}
    )
    assert response.status_code == 404
    assert SESSION_COOKIE not in response.cookies


@pytest.mark.parametrize("token", [None, "", "1.abc", "forged"])
async def test_a_form_post_without_a_valid_csrf_token_is_refused(
    consultant: httpx.AsyncClient, token: str | None
) -> None:
    data = {"csrf_token": token} if token is not None else {}
    response = await consultant.post("/sign-out", data=data)
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_a_csrf_token_of_another_session_is_refused(
    consultant: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    someone_else = await _sign_in_form(client)
    response = await consultant.post("/sign-out", data={"csrf_token": someone_else})
    assert response.status_code == 403


def test_a_csrf_token_expires_and_is_bound_to_its_session() -> None:
    token = issue_token(TEST_SECRET, "session-a", now=1_000_000)
    assert token_is_valid(TEST_SECRET, "session-a", token, now=1_000_060)
    assert not token_is_valid(TEST_SECRET, "session-b", token, now=1_000_060)
    assert not token_is_valid(TEST_SECRET, "session-a", token, now=1_000_000 + 13 * 3600)
    assert not token_is_valid("another-secret", "session-a", token, now=1_000_060)


async def test_sign_in_page_binds_its_form_to_a_pre_session_cookie(client: httpx.AsyncClient) -> None:
    response = await client.get("/sign-in")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(PRESESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


async def test_cookie_authenticated_api_writes_need_the_csrf_header(
    consultant: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    body = {
        "specialty": "nephrology",
        "date": "2031-01-06",
        "consultant": {"sub": "dr-lee", "name": "Dr Lee"},
    }
    refused = await consultant.post("/v1/clinics", json=body)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    forged = await consultant.post("/v1/clinics", json=body, headers={"X-CSRF-Token": "1.forged"})
    assert forged.status_code == 403
    page = (await consultant.get("/")).text
    allowed = await consultant.post("/v1/clinics", json=body, headers={"X-CSRF-Token": csrf_token_in(page)})
    assert allowed.status_code == 201


async def test_bearer_api_writes_need_no_csrf_header(
    client: httpx.AsyncClient, demo_clinic: DemoClinic
) -> None:
    body = {
        "specialty": "nephrology",
        "date": "2031-01-06",
        "consultant": {"sub": "dr-lee", "name": "Dr Lee"},
    }
    response = await client.post("/v1/clinics", json=body, headers=bearer(demo_clinic.token))
    assert response.status_code == 201


@pytest.mark.parametrize("authorization", ["Basic ZHItbGVlOnNlY3JldA==", "", "Bearer", "Token abc", "bearer"])
async def test_a_header_that_is_not_a_bearer_token_does_not_waive_the_csrf_check(
    consultant: httpx.AsyncClient, authorization: str
) -> None:
    response = await consultant.post("/v1/clinics", json=NEW_CLINIC, headers={"Authorization": authorization})
    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith("/csrf")


async def test_a_bad_bearer_token_beside_the_cookie_is_refused_not_signed_in_by_the_cookie(
    consultant: httpx.AsyncClient,
) -> None:
    response = await consultant.post("/v1/clinics", json=NEW_CLINIC, headers=bearer("not-a-jwt"))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
