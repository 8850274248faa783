"""The API docs render in a real browser from the service's own files, with no policy violation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

pytestmark = pytest.mark.browser


def test_the_api_docs_render_offline_under_the_content_security_policy(page: Page, base_url: str) -> None:
    complaints: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda message: _note_complaint(message, complaints))
    page.on("request", lambda request: _note_elsewhere(request, base_url, elsewhere))
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Virtual Clinic")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert complaints == []
    assert elsewhere == []


def _note_complaint(message: ConsoleMessage, complaints: list[str]) -> None:
    if message.type == "error" or "Content Security Policy" in message.text:
        complaints.append(message.text)


def _note_elsewhere(request: Request, base_url: str, elsewhere: list[str]) -> None:
    if urlsplit(request.url).scheme in ("http", "https") and not request.url.startswith(base_url):
        elsewhere.append(request.url)
