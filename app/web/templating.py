"""The Jinja2 environment of the pages, and the filters that round figures for display only.

The API keeps full precision; a page shows eGFR as a whole number, its slope and KFRE to one decimal place.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from app.web.csrf import CSRF_FIELD, csrf_token_for, session_binding

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)


def whole(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def one_decimal(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def nhs_number(value: str) -> str:
    """Spaced 3-3-4, as the NHS shows an NHS number to people."""
    return f"{value[:3]} {value[3:6]} {value[6:]}" if len(value) == 10 else value


def long_date(value: dt.date | dt.datetime | None) -> str:
    return "—" if value is None else f"{value.day} {value:%b %Y}"


def time_of_day(value: dt.datetime | None) -> str:
    return "—" if value is None else f"{long_date(value)} {value:%H:%M} UTC"


def words(code: str) -> str:
    """A code as words: ``advice-then-refer-if-required`` → ``Advice then refer if required``."""
    text = code.replace("-", " ")
    return text[:1].upper() + text[1:]


templates.env.filters.update(
    whole=whole,
    one_decimal=one_decimal,
    nhs_number=nhs_number,
    long_date=long_date,
    time_of_day=time_of_day,
    words=words,
)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    binding: str | None = None,
) -> Response:
    """The page with a CSRF token bound to the session (or to ``binding``, a pre-session about to be set)."""
    bound_to = binding or session_binding(request.cookies)
    page = {
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token_for(request, bound_to) if bound_to else None,
        **context,
    }
    response = templates.TemplateResponse(request, name, page, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
