"""The interactive API docs, served whole by this service so they work with no internet and under the CSP.

Swagger UI's files come from the ``fastapi-offline`` package, which ships Swagger UI 5 (the first to render
OpenAPI 3.1, which FastAPI writes). FastAPI's own page loads them from a CDN and starts them with an inline
script; this page starts them from a static file, so the pages' Content-Security-Policy holds here too.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.web.templating import templates

SWAGGER_UI_DIR = Path(str(files("fastapi_offline") / "static"))
DOCS_ASSETS_URL = "/docs-assets"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def api_docs(request: Request) -> Response:
    """The API's endpoints, to read and try with a bearer token."""
    page = {"openapi_url": request.app.openapi_url, "assets": DOCS_ASSETS_URL}
    return templates.TemplateResponse(request, "api_docs.html", page)
