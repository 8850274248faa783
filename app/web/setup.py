"""Wiring of the pages into the app: routes, static assets, security middleware and page error handling."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web.advice_form import router as advice_form_router
from app.web.api_docs import DOCS_ASSETS_URL, SWAGGER_UI_DIR
from app.web.api_docs import router as api_docs_router
from app.web.case_finding_pages import router as case_finding_pages_router
from app.web.csrf import ApiCsrfMiddleware
from app.web.errors import install_page_error_handlers
from app.web.letter_preview import router as letter_preview_router
from app.web.new_advice_request import router as new_advice_request_router
from app.web.pages import router as pages_router
from app.web.practice_follow_up import router as practice_follow_up_router
from app.web.practice_pages import router as practice_pages_router
from app.web.security import SecurityHeadersMiddleware
from app.web.sign_in import router as sign_in_router
from app.web.templating import STATIC_DIR


def install_web(app: FastAPI) -> None:
    """Call after the API's error handlers and middleware: these wrap them."""
    install_page_error_handlers(app)
    app.include_router(sign_in_router)
    app.include_router(pages_router)
    app.include_router(advice_form_router)
    app.include_router(letter_preview_router)
    app.include_router(case_finding_pages_router)
    app.include_router(practice_pages_router)
    app.include_router(new_advice_request_router)
    app.include_router(practice_follow_up_router)
    app.include_router(api_docs_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=SWAGGER_UI_DIR), name="docs-assets")
    app.add_middleware(ApiCsrfMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
