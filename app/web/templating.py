"""The Jinja2 environment of the pages, and the filters that shape figures and dates for display only.

The API keeps full precision; a page shows eGFR as a whole number, its slope and KFRE to one decimal place.
The API writes days as ISO 8601 for machines; a page writes every day and moment one way, for people.
"""

from __future__ import annotations

import datetime as dt
import re
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


def figure(value: str | float | None) -> str:
    """A worklist figure: text as the specialty gave it, a number to at most one decimal place."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{round(value, 1):g}"


# UCUM spells some units for machines; a page writes them as a clinician does.
_UNITS_FOR_PEOPLE = {
    "mm[Hg]": "mmHg",
    "mL/min/1.73m2": "mL/min/1.73m²",
    "mL/min/1.73m2/yr": "mL/min/1.73m² a year",
    "umol/L": "µmol/L",
}


def unit_for_people(unit: str | None) -> str:
    return "" if unit is None else _UNITS_FOR_PEOPLE.get(unit, unit)


def nhs_number(value: str) -> str:
    """Spaced 3-3-4, as the NHS shows an NHS number to people."""
    return f"{value[:3]} {value[3:6]} {value[6:]}" if len(value) == 10 else value


# Spelled out rather than by strftime, whose month names follow the process's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def clinical_date(value: dt.date | dt.datetime | None) -> str:
    """The one way the pages write a day, "3 Mar 2025", and a moment, "3 Mar 2025 14:05 UTC" (NHS style).

    A datetime without a zone is UTC, as the service stores every moment.
    """
    if value is None:
        return "—"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    day = f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{day} {value:%H:%M} UTC" if isinstance(value, dt.datetime) else day


def clinical_dates_in(text: str) -> str:
    """The service's own sentences (warnings, evidence) with each ISO day written as the page writes days."""

    def rewrite(found: re.Match[str]) -> str:
        try:
            return clinical_date(dt.date.fromisoformat(found.group(0)))
        except ValueError:
            return found.group(0)

    return _ISO_DAY.sub(rewrite, text)


def words(code: str) -> str:
    """A code as words: ``advice-then-refer-if-required`` → ``Advice then refer if required``."""
    text = code.replace("-", " ")
    return text[:1].upper() + text[1:]


templates.env.filters.update(
    whole=whole,
    one_decimal=one_decimal,
    figure=figure,
    unit=unit_for_people,
    nhs_number=nhs_number,
    clinical_date=clinical_date,
    clinical_dates_in=clinical_dates_in,
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
