"""Signing in goes back to the page asked for: a card's link to a pre-filled request survives sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from app.web.demo_seed import DEMO_GP
from app.web.return_to import safe_return_path
from tests.web.conftest import csrf_token_in

ASKED = "/practices/A12345/advice-requests/new?nhs_number=9990001162&specialty=nephrology"


@pytest.fixture
async def browser(sqlite_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(dev_mode=True, database_url=sqlite_url, var_dir=tmp_path / "var"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def _demo_gp_sign_in(client: httpx.AsyncClient, sign_in_page: str, **extra: str) -> httpx.Response:
    page = await client.get(sign_in_page)
    assert page.status_code == 200
    form = {"csrf_token": csrf_token_in(page.text), "identity": DEMO_GP.sub, **extra}
    return await client.post("/sign-in/demo", data=form)


async def test_a_signed_out_gp_following_a_link_signs_in_and_lands_on_the_page_with_its_values(
    browser: httpx.AsyncClient,
) -> None:
    sent_away = await browser.get(ASKED)
    assert sent_away.status_code == 303
    assert sent_away.headers["location"] == f"/sign-in?next={quote(ASKED, safe='')}"

    page = await browser.get(sent_away.headers["location"])
    assert f'name="next" value="{ASKED.replace("&", "&amp;")}"' in page.text
    signed_in = await _demo_gp_sign_in(browser, sent_away.headers["location"], next=ASKED)

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == ASKED
    form = await browser.get(ASKED)
    assert form.status_code == 200
    assert 'value="9990001162"' in form.text


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/practices",
        "//evil.example/practices",
        "/\\evil.example",
        "javascript:alert(1)",
        "practices/A12345",
        "/sign-in?next=/",
        "/practices/A12345\r\nSet-Cookie: x=1",
        "/" + "a" * 2000,
    ],
)
async def test_a_return_anywhere_but_a_page_of_this_site_is_dropped_for_the_home_page(
    browser: httpx.AsyncClient, elsewhere: str
) -> None:
    assert safe_return_path(elsewhere) is None
    signed_in = await _demo_gp_sign_in(browser, "/sign-in", next=elsewhere)

    if len(elsewhere) > 2000:
        assert signed_in.status_code == 422  # the form itself is refused, and no one is signed in
    else:
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/practices/A12345"


async def test_a_form_post_while_signed_out_returns_to_sign_in_without_a_return_path(
    browser: httpx.AsyncClient,
) -> None:
    page = await browser.get("/sign-in")
    form = {"csrf_token": csrf_token_in(page.text)}
    sent_away = await browser.post("/practices/A12345/advice-requests/preview", data=form)

    assert sent_away.status_code == 303
    assert sent_away.headers["location"] == "/sign-in"
