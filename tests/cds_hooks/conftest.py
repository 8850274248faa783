"""The app as a practice's EHR meets it: the demo practice, its records on the EHR's own FHIR server (the
mock GP serving the same demo patients), and one trusted CDS client speaking for the practice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from adapters.demo import DEMO_PRACTICE_ODS
from adapters.demo.practice import write_demo_practice
from adapters.mock_gp import running_mock_gp
from app.core.config import Settings
from app.main import create_app
from tests.cds_hooks.ehr import BASE_URL, Ehr, client_section, es384_key, rs384_key, write_jwks

JKU_LISTED = "https://keys.ehr.test/jwks.json"


@pytest.fixture(scope="module")
def ehr_fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("ehr-fhir")
    write_demo_practice(directory, date.today())
    with running_mock_gp(directory) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def ehr_keys() -> tuple[Ehr, Ehr]:
    return Ehr(es384_key(), rs384_key()), Ehr(es384_key("other-es384"), rs384_key("other-rs384"))


@pytest.fixture
def ehr(ehr_keys: tuple[Ehr, Ehr], ehr_fhir_server: str) -> Ehr:
    trusted, _ = ehr_keys
    trusted.fhir_base = ehr_fhir_server
    return trusted


def cds_practices_file(directory: Path, *, jwks: Path, fhir_server: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "practices.toml"
    client = client_section(
        "mile-end-ehr", jwks=jwks, ods=DEMO_PRACTICE_ODS, fhir_servers=[fhir_server], jku=[JKU_LISTED]
    )
    path.write_text(
        f"""
[practices.{DEMO_PRACTICE_ODS}]
name = "Mile End Surgery (demo)"
adapter = "demo"

{client}"""
    )
    return path


@pytest.fixture
def cds_settings(settings: Settings, ehr: Ehr, ehr_fhir_server: str, tmp_path: Path) -> Settings:
    jwks = write_jwks(tmp_path / "ehr-jwks.json", ehr.es384, ehr.rs384)
    practices = cds_practices_file(tmp_path / "config", jwks=jwks, fhir_server=ehr_fhir_server)
    return settings.model_copy(update={"practices_file": practices, "public_base_url": BASE_URL})


@pytest.fixture
async def cds_app(cds_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(cds_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def ehr_client(cds_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=cds_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http
