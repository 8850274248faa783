"""Signing in and out: a token from the organisation's identity provider, or a demo identity in dev mode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from app.auth.dev_keys import mint_dev_token
from app.auth.keys import KeySet
from app.auth.principal import Principal
from app.auth.tokens import verify_bearer_token
from app.core.deps import SettingsDep
from app.core.errors import Forbidden, NotFound, Unauthorised
from app.web.csrf import CsrfChecked
from app.web.demo_seed import DEMO_CONSULTANTS, DEMO_GP, DemoConsultant, DemoGp
from app.web.errors import PAGE_TAG
from app.web.return_to import MAX_RETURN_LENGTH, RETURN_FIELD, safe_return_path
from app.web.session import (
    end_session,
    ensure_presession,
    home_of,
    presession_value,
    require_page_user,
    start_session,
)
from app.web.templating import render

router = APIRouter(tags=[PAGE_TAG], include_in_schema=False)


def _sign_in_page(
    request: Request, *, error: str | None = None, status_code: int = 200, return_to: str | None = None
) -> Response:
    presession = presession_value(request)
    settings = request.app.state.settings
    response = render(
        request,
        "sign_in.html",
        {
            "dev_mode": settings.dev_mode,
            "demo_consultants": DEMO_CONSULTANTS,
            "demo_gp": DEMO_GP,
            "error": error,
            "return_to": safe_return_path(return_to),
        },
        status_code=status_code,
        binding=presession,
    )
    ensure_presession(request, response, presession)
    return response


def _signed_in(request: Request, token: str, principal: Principal, return_to: str | None) -> Response:
    # The page asked for before signing in checks the person's access itself, as on any visit.
    response = RedirectResponse(safe_return_path(return_to) or home_of(principal), status_code=303)
    start_session(request, response, token)
    return response


ReturnTo = Annotated[str | None, Form(alias=RETURN_FIELD, max_length=MAX_RETURN_LENGTH)]


@router.get("/sign-in")
async def sign_in_page(
    request: Request,
    return_to: Annotated[str | None, Query(alias=RETURN_FIELD, max_length=MAX_RETURN_LENGTH)] = None,
) -> Response:
    """The sign-in page; ``next`` names the page to go back to once signed in."""
    return _sign_in_page(request, return_to=return_to)


@router.post("/sign-in")
async def sign_in_with_token(
    request: Request, _csrf: CsrfChecked, token: Annotated[str, Form()], return_to: ReturnTo = None
) -> Response:
    """Signs in with a token from the organisation's identity provider, once it verifies."""
    # No length rule on the field: verification refuses a token over VCLINIC_MAX_TOKEN_BYTES with the same
    # 401 page as any other bad token, and the form is read whole before a field rule could apply anyway.
    keys: KeySet = request.app.state.key_set
    try:
        principal = require_page_user(
            await verify_bearer_token(token.strip(), keys, request.app.state.settings)
        )
    except (Unauthorised, Forbidden) as refusal:
        return _sign_in_page(request, error=refusal.detail, status_code=refusal.status, return_to=return_to)
    return _signed_in(request, token.strip(), principal, return_to)


@router.post("/sign-in/demo")
async def sign_in_as_demo_consultant(
    request: Request,
    settings: SettingsDep,
    _csrf: CsrfChecked,
    identity: Annotated[str, Form(max_length=64)],
    return_to: ReturnTo = None,
) -> Response:
    """Dev mode only: signs in as a demo consultant, or the demo practice's GP, with the development key."""
    if not settings.dev_mode:
        raise NotFound("demo sign-in is offered only in dev mode")
    demo: DemoConsultant | DemoGp | None = (
        DEMO_GP if identity == DEMO_GP.sub else DEMO_CONSULTANTS.get(identity)
    )
    if demo is None:
        raise NotFound(f"no demo identity {identity!r}")
    claims = demo.claims()
    return _signed_in(request, mint_dev_token(settings, claims), Principal.from_claims(claims), return_to)


@router.post("/sign-out")
async def sign_out(_csrf: CsrfChecked) -> Response:
    """Ends the session."""
    response = RedirectResponse("/sign-in", status_code=303)
    end_session(response)
    return response
