"""The bad inputs found by trying the service as an attacker would, replayed on both engines: each gets a
clear 4xx problem, never a 500 or an empty page, and the audit chain still verifies afterwards."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.audit.service import verify_chain
from app.core.config import Settings
from app.core.deps import SESSION_COOKIE
from tests.advice.advice_calls import current_etag, new_key, submitted
from tests.advice.practices import MILE_END_PATIENT, PRACTICES_TOML
from tests.support.identity import IdentityProvider, bearer

QUESTION = "eGFR has fallen from 52 to 41 in a year. Refer, or manage in primary care?"
FEED = "/v1/practices/A12345/feed"


@pytest.fixture
def app_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    practices = tmp_path / "practices.toml"
    practices.write_text(PRACTICES_TOML, encoding="utf-8")
    return settings.model_copy(update={"practices_file": practices})


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _assert_problem(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def _assert_chain_verifies(app: FastAPI, settings: Settings) -> None:
    async with app.state.session_factory() as session:
        verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
    assert verdict.intact, verdict.problems


async def _post(
    client: httpx.AsyncClient, url: str, token: str, body: Any, *, if_match: str | None = None
) -> httpx.Response:
    headers = {**bearer(token), "Idempotency-Key": new_key(), "Content-Type": "application/json"}
    if if_match is not None:
        headers["If-Match"] = if_match
    # The standard encoder, which nests deeper than the service's own, as a hostile client's would.
    return await client.post(url, content=json.dumps(body).encode(), headers=headers)


async def test_a_nul_in_any_text_field_is_refused(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    practice, consultant = identity.practice(), identity.consultant()
    request_id = await submitted(client, practice)
    asked = {
        "nhs_number": MILE_END_PATIENT,
        "specialty": "nephrology",
        "question": QUESTION,
        "urgency": "routine",
    }
    etag = await current_etag(client, consultant, request_id)
    answer = {"outcome": "return-with-advice", "recommendation": "advice-only", "advice": "Start an SGLT2."}
    action = {"code": "repeat-ue-2-weeks"}
    clinic = {
        "specialty": "nephrology",
        "date": "2026-11-24",
        "consultant": {"sub": "dr-lee", "name": "Dr Lee"},
    }
    opened = await client.post("/v1/clinics", json=clinic, headers=bearer(consultant))
    entries = f"/v1/clinics/{opened.json()['id']}/entries"
    spoilt: list[tuple[str, str, dict[str, Any], str | None]] = [
        ("/v1/advice-requests", practice, {**asked, "question": "Refer?\x00"}, None),
        ("/v1/advice-requests", practice, {**asked, "context": {"note": "\x00"}}, None),
        ("/v1/advice-requests", practice, {**asked, "context": {"\x00": "key"}}, None),
        (f"/v1/advice-requests/{request_id}/messages", practice, {"body": "ACR 45\x00"}, None),
        (f"/v1/advice-requests/{request_id}/response", consultant, {**answer, "advice": "Start\x00"}, etag),
        (
            f"/v1/advice-requests/{request_id}/response",
            consultant,
            {**answer, "actions": [{**action, "note": "fasting\x00"}]},
            etag,
        ),
        ("/v1/clinics", consultant, {**clinic, "consultant": {"sub": "dr-lee", "name": "Dr\x00Lee"}}, None),
        (entries, consultant, {"nhs_number": MILE_END_PATIENT, "reason": "eGFR falling\x00"}, None),
        (entries, consultant, {"advice_request_id": f"{request_id}\x00"}, None),
    ]
    for url, token, body, if_match in spoilt:
        _assert_problem(await _post(client, url, token, body, if_match=if_match), 422)
    await _assert_chain_verifies(app, settings)


async def test_text_over_its_maximum_length_is_refused(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    practice, consultant = identity.practice(), identity.consultant()
    request_id = await submitted(client, practice)
    asked = {"nhs_number": MILE_END_PATIENT, "specialty": "nephrology", "urgency": "routine"}
    etag = await current_etag(client, consultant, request_id)
    answer = {"outcome": "return-with-advice", "recommendation": "advice-only"}
    too_long: list[tuple[str, str, dict[str, Any], str | None]] = [
        ("/v1/advice-requests", practice, {**asked, "question": "q" * 4001}, None),
        (
            "/v1/advice-requests",
            practice,
            {**asked, "question": QUESTION, "context": {"n": "x" * 17_000}},
            None,
        ),
        (f"/v1/advice-requests/{request_id}/messages", practice, {"body": "b" * 4001}, None),
        (f"/v1/advice-requests/{request_id}/response", consultant, {**answer, "advice": "a" * 8001}, etag),
        (
            f"/v1/advice-requests/{request_id}/response",
            consultant,
            {**answer, "advice": "Start.", "actions": [{"code": "repeat-ue-2-weeks", "note": "n" * 1001}]},
            etag,
        ),
    ]
    for url, token, body, if_match in too_long:
        _assert_problem(await _post(client, url, token, body, if_match=if_match), 422)
    await _assert_chain_verifies(app, settings)


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("feed:1:99999999999999999999"),
        "9" * 5000,
        _cursor("feed:1:" + "9" * 120),
        _cursor("feed:1:-1"),
        _cursor("feed:1:1000"),
        "not-a-cursor",
        "%00",
    ],
    ids=["huge", "five-thousand-digits", "many-digits", "negative", "beyond-the-end", "garbage", "nul"],
)
async def test_a_feed_cursor_the_feed_never_gave_is_refused(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings, cursor: str
) -> None:
    _assert_problem(
        await client.get(FEED, params={"after": cursor}, headers=bearer(identity.practice())), 422
    )
    await _assert_chain_verifies(app, settings)


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", "9" * 5000, _cursor('["-1", "x"]'), _cursor('["2026-11-22T09:30:00", "\\u0000"]')],
    ids=["garbage", "five-thousand-digits", "negative", "nul"],
)
async def test_an_advice_list_cursor_the_list_never_gave_is_refused(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings, cursor: str
) -> None:
    response = await client.get(
        "/v1/advice-requests", params={"after": cursor}, headers=bearer(identity.admin())
    )
    _assert_problem(response, 422)
    await _assert_chain_verifies(app, settings)


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/v1/advice-requests", {"limit": "0"}),
        ("/v1/advice-requests", {"limit": "201"}),
        ("/v1/advice-requests", {"limit": "9" * 5000}),
        (FEED, {"limit": "-1"}),
        (FEED, {"limit": "99999999999999999999"}),
        ("/v1/clinics", {"limit": "501"}),
        ("/v1/audit", {"nhs_number": MILE_END_PATIENT, "limit": "1001"}),
    ],
)
async def test_a_limit_out_of_its_bounds_is_refused(
    client: httpx.AsyncClient, identity: IdentityProvider, url: str, query: dict[str, str]
) -> None:
    _assert_problem(await client.get(url, params=query, headers=bearer(identity.admin())), 422)


@pytest.mark.parametrize(
    ("content", "content_type", "statuses"),
    [
        (b'{"question": "Refer?"}', "text/plain", (415,)),
        (b"question=Refer%3F", "application/x-www-form-urlencoded", (415,)),
        (b"[]", "application/json", (422,)),
        (b'["nhs_number", "9434765919"]', "application/json", (422,)),
        (b"42", "application/json", (422,)),
        (b'"a question"', "application/json", (422,)),
        (b"null", "application/json", (422,)),
        (b'{"question": "\xff\xfe Refer?"}', "application/json", (400, 422)),
        (b'{"question": "Refer?"', "application/json", (400, 422)),
        (b'{"context": ' + b"[" * 5000 + b"]" * 5000 + b"}", "application/json", (400, 422)),
    ],
    ids=[
        "text",
        "form",
        "array",
        "array-of-strings",
        "number",
        "string",
        "null",
        "bad-utf8",
        "cut-off",
        "deep",
    ],
)
async def test_a_body_that_is_not_a_json_object_is_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    settings: Settings,
    content: bytes,
    content_type: str,
    statuses: tuple[int, ...],
) -> None:
    headers = {**bearer(identity.practice()), "Idempotency-Key": new_key(), "Content-Type": content_type}
    _assert_problem(await client.post("/v1/advice-requests", content=content, headers=headers), *statuses)
    await _assert_chain_verifies(app, settings)


async def test_a_nested_context_too_deep_to_encode_is_refused(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    context: Any = "deep"
    for _ in range(300):
        context = {"inner": context}
    body = {
        "nhs_number": MILE_END_PATIENT,
        "specialty": "nephrology",
        "question": QUESTION,
        "urgency": "routine",
    }
    response = await _post(client, "/v1/advice-requests", identity.practice(), {**body, "context": context})
    _assert_problem(response, 422)
    await _assert_chain_verifies(app, settings)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/advice-requests/%00",
        "/v1/advice-requests/abc%1B",
        "/v1/clinics/%00",
        "/v1/clinics/%00/worklist",
        "/v1/advice-requests?specialty=%00",
        "/v1/metrics/advice?specialty=%00",
        "/v1/metrics/advice?practice=%00",
        "/v1/practices/A12345/feed?after=%7F",
    ],
)
async def test_a_control_character_in_the_address_is_refused(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings, url: str
) -> None:
    token = identity.consultant() if "/clinics" in url else identity.admin()
    _assert_problem(await client.get(url, headers=bearer(token)), 422)
    await _assert_chain_verifies(app, settings)


async def test_a_control_character_in_a_page_address_is_refused(
    app: FastAPI, client: httpx.AsyncClient, identity: IdentityProvider, settings: Settings
) -> None:
    client.cookies.set(SESSION_COOKIE, identity.consultant())
    try:
        response = await client.get("/clinics/%00")
    finally:
        client.cookies.clear()
    assert response.status_code == 422
    await _assert_chain_verifies(app, settings)
