"""Every string field of every JSON write in the OpenAPI document refuses control characters with a 4xx
problem, on PostgreSQL (where NUL used to fail as a DataError) and on SQLite; the valid body still works.

The fields come from the document itself, so a field added later is covered, and a write added later fails
here until ``prepared_writes`` knows how to make it valid.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path as FilePath
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.demo.practice import write_demo_practice
from adapters.mock_gp import running_mock_gp
from app.audit.service import verify_chain
from app.case_finding.models import CaseFindingRecord, FindingStatus
from app.core.config import Settings
from app.main import create_app
from tests.advice.practices import MILE_END, PRACTICES_TOML
from tests.cds_hooks.ehr import Ehr, client_section, es384_key, rs384_key, write_jwks
from tests.outbox.factories import sessions
from tests.security.request_bodies import (
    FREE_FORM,
    Path,
    Write,
    prepared_writes,
    replace_at,
    string_fields,
    string_schemas,
)
from tests.support.identity import IdentityProvider
from tests.support.live_server import free_port, live_server

EXAMPLES_PER_FIELD = 20
SPEC = create_app(Settings(dev_mode=True, var_dir=FilePath("/nonexistent"))).openapi()
WRITES = sorted(
    f"{method.upper()} {path}"
    for path, operations in SPEC["paths"].items()
    for method, operation in operations.items()
    if "application/json" in operation.get("requestBody", {}).get("content", {})
)

# C0 but tab, CR and LF; DEL and C1; a non-character; lone surrogates (sent as JSON \u escapes).
FORBIDDEN = st.one_of(
    st.just("\x00"),
    st.characters(max_codepoint=0x1F, exclude_characters="\t\n\r"),
    st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
    st.sampled_from(["\ufffe", "\uffff", "\ufdd0", "\ud800", "\udfff"]),
)


@pytest.fixture
def app_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture(scope="module")
def ehr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ehr]:
    """Mile End's clinical system, calling the CDS services; its FHIR server holds the demo records."""
    records = tmp_path_factory.mktemp("ehr-records")
    write_demo_practice(records, date.today())
    with running_mock_gp(records) as fhir_base:
        yield Ehr(es384_key(), rs384_key(), fhir_base=fhir_base)


@pytest.fixture
def server(settings: Settings, ehr: Ehr, tmp_path: FilePath) -> Iterator[str]:
    jwks = write_jwks(tmp_path / "ehr-jwks.json", ehr.es384, ehr.rs384)
    client = client_section("mile-end-ehr", jwks=jwks, ods=MILE_END, fhir_servers=[ehr.fhir_base])
    practices = tmp_path / "practices.toml"
    practices.write_text(f"{PRACTICES_TOML}\n{client}", encoding="utf-8")
    # Each EHR JWT names the URL called, so the app must know the address it is served at.
    port = free_port()
    update = {"practices_file": practices, "public_base_url": f"http://127.0.0.1:{port}"}
    with live_server(create_app(settings.model_copy(update=update)), port=port) as base_url:
        yield base_url


def _operation(write: str) -> dict[str, Any]:
    method, path = write.split(" ", 1)
    operation: dict[str, Any] = SPEC["paths"][path][method.lower()]
    return operation


def _spoilt(original: Any, path: Path, character: str, cut: int) -> Any:
    if path[-1] == FREE_FORM:
        return {"note": f"before{character}after", f"key{character}": "value"}
    text = str(original)
    at = cut % (len(text) + 1)
    return f"{text[:at]}{character}{text[at:]}"


def _send(http: httpx.Client, write: Write, body: Any) -> httpx.Response:
    # json.dumps escapes lone surrogates as \ud800, which is valid JSON and what a hostile client sends.
    headers = {**write.headers(), "Content-Type": "application/json"}
    return http.request(write.method, write.url, content=json.dumps(body).encode(), headers=headers)


def _assert_refused(response: httpx.Response, where: str) -> None:
    assert 400 <= response.status_code < 500, f"{where}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json", where


def _refuses_every_spoilt_value(http: httpx.Client, write: Write, path: Path) -> None:
    body = write.body_with(path[:-1] if path[-1] == FREE_FORM else path)
    target = path[:-1] if path[-1] == FREE_FORM else path

    @given(character=FORBIDDEN, cut=st.integers(min_value=0, max_value=10_000))
    @settings(
        max_examples=EXAMPLES_PER_FIELD,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def spoil(character: str, cut: int) -> None:
        spoilt = replace_at(body, target, lambda value: _spoilt(value, path, character, cut))
        _assert_refused(_send(http, write, spoilt), f"{write.url} {path} with U+{ord(character):04X}")

    spoil()


async def _chain_verdict(database_url: str, key: bytes) -> list[str]:
    async with sessions(database_url) as factory, factory() as session:
        verdict = await verify_chain(session, key)
    return verdict.problems


async def _two_new_findings(database_url: str) -> tuple[str, str]:
    """Two new case findings at Mile End, as a run would leave them, for the finding writes to act on."""
    now = datetime.now(UTC)
    rows = [
        CaseFindingRecord(
            practice_ods=MILE_END,
            specialty="nephrology",
            nhs_number=f"{secrets.randbelow(10**10):010d}",
            status=FindingStatus.NEW.value,
            run_id=uuid.uuid4().hex,
            rules=[{"code": "acr-70-or-more", "title": "ACR 70 or more", "evidence": "ACR 80 mg/mmol"}],
            first_found_at=now,
            last_found_at=now,
        )
        for _ in range(2)
    ]
    async with sessions(database_url) as factory, factory() as session, session.begin():
        session.add_all(rows)
    return rows[0].id, rows[1].id


@pytest.mark.parametrize("write", WRITES)
def test_every_text_field_refuses_control_characters(
    write: str, server: str, ehr: Ehr, identity: IdentityProvider, settings: Settings, app_database_url: str
) -> None:
    fields = list(string_fields(SPEC, _operation(write)))
    with httpx.Client(base_url=server, timeout=30) as http:
        findings = asyncio.run(_two_new_findings(app_database_url))
        prepared = prepared_writes(http, identity, findings=findings, ehr=ehr)
        assert write in prepared, f"{write} is new: teach prepared_writes a valid body for it"
        for path in fields:
            _refuses_every_spoilt_value(http, prepared[write], path)
        if fields:
            for body in prepared[write].bodies:
                accepted = _send(http, prepared[write], body)
                assert accepted.status_code < 300, f"the valid body of {write} was refused: {accepted.text}"
    key = settings.audit_key.get_secret_value().encode()
    assert asyncio.run(_chain_verdict(app_database_url, key)) == []


@pytest.mark.parametrize("write", WRITES)
def test_every_text_field_has_a_maximum_length(write: str) -> None:
    unbounded = [
        path
        for path, schema in string_schemas(SPEC, _operation(write))
        if path[-1] != FREE_FORM and not ({"maxLength", "enum", "pattern", "format", "const"} & schema.keys())
    ]
    assert unbounded == []
