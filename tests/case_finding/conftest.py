"""Case-finding against the mock GP serving the demo practice: the app, its worker, and a practices file that
has agreed to population searches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS, write_demo_practice
from adapters.mock_gp import running_mock_gp
from app.core.config import Settings
from app.main import create_app
from tests.case_finding.case_finding_calls import case_finding_practices


@pytest.fixture(scope="module")
def demo_gp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("case-finding-gp")
    write_demo_practice(directory, date.today())
    with running_mock_gp(directory) as url:
        yield url


@pytest.fixture
async def gp_faults(demo_gp: str) -> AsyncIterator[str]:
    """The mock GP's fault control, reset after the test."""
    control = f"{demo_gp.removesuffix('/fhir')}/_faults"
    yield control
    async with httpx.AsyncClient(timeout=5.0) as http:
        await http.post(control, json={})


@pytest.fixture
def cf_settings(settings: Settings, tmp_path: Path, demo_gp: str) -> Settings:
    path = case_finding_practices(
        tmp_path / "practices", base_url=demo_gp, patients=[p.nhs_number for p in DEMO_PATIENTS]
    )
    return settings.model_copy(
        update={
            "practices_file": path,
            "case_finding_progress_every": 3,
            "case_finding_run_ceiling_seconds": 20.0,
            "case_finding_lease_seconds": 3.0,
            "upstream_timeout_seconds": 3.0,
        }
    )


@pytest.fixture
async def cf_app(cf_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(cf_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def cf_client(cf_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=cf_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
