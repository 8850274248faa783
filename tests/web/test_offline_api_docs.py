"""The API docs come whole from the service itself, under the pages' Content-Security-Policy."""

from __future__ import annotations

import re

import httpx

from app.web.security import CONTENT_SECURITY_POLICY

ASSET_REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')


async def test_the_docs_page_references_only_same_origin_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assets = ASSET_REFERENCE.findall(page.text)
    assert len(assets) >= 4
    for asset in assets:
        assert re.match(r"/(?!/)", asset), asset
        assert (await client.get(asset)).status_code == 200, asset


async def test_the_docs_page_starts_swagger_ui_without_inline_script(client: httpx.AsyncClient) -> None:
    page = (await client.get("/docs")).text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert 'data-openapi-url="/openapi.json"' in page
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "Virtual Clinic"


async def test_the_cdn_docs_are_gone(client: httpx.AsyncClient) -> None:
    for path in ("/redoc", "/docs/oauth2-redirect"):
        assert (await client.get(path)).status_code == 404, path
