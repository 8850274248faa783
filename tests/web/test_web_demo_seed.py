"""`make run` opens into today's demo clinic, seeded once however often the service restarts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.auth.dev_keys import mint_dev_token
from app.core.config import Settings
from app.core.deps import SESSION_COOKIE
from app.main import create_app
from app.web.demo_seed import DEMO_CONSULTANT, seed_demo_clinic
from tests.support.identity import bearer
from tests.web.conftest import csrf_token_in


@pytest.fixture
def dev_settings(sqlite_url: str, tmp_path: Path) -> Settings:
    return Settings(dev_mode=True, database_url=sqlite_url, var_dir=tmp_path / "var")


async def _started_twice(settings: Settings) -> FastAPI:
    for _restart in range(2):
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            pass
    return create_app(settings)


async def test_dev_mode_seeds_todays_clinic_once_across_restarts(dev_settings: Settings) -> None:
    app = await _started_twice(dev_settings)
    token = mint_dev_token(dev_settings, DEMO_CONSULTANT.claims())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            clinics = (await client.get("/v1/clinics", headers=bearer(token))).json()
            assert len(clinics) == 1
            detail = (await client.get(f"/v1/clinics/{clinics[0]['id']}", headers=bearer(token))).json()
            requests = (await client.get("/v1/advice-requests", headers=bearer(token))).json()["items"]
    assert len(detail["entries"]) == 10
    assert sum(1 for entry in detail["entries"] if entry["advice_request_id"]) == len(requests) == 5


async def test_seeding_again_changes_nothing(app: FastAPI) -> None:
    now = app.state.clock()
    assert await seed_demo_clinic(app.state.audit_log, app.state.practices, now=now)
    assert not await seed_demo_clinic(app.state.audit_log, app.state.practices, now=now)


async def test_demo_sign_in_in_dev_mode_opens_the_clinic_list(dev_settings: Settings) -> None:
    app = create_app(dev_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            page = await client.get("/sign-in")
            assert "Demo sign-in" in page.text
            form = {"csrf_token": csrf_token_in(page.text), "identity": DEMO_CONSULTANT.sub}
            signed_in = await client.post("/sign-in/demo", data=form)
            assert signed_in.status_code == 303
            assert SESSION_COOKIE in signed_in.cookies
            clinics = await client.get("/")
    assert clinics.status_code == 200
    assert "(today)" in clinics.text
