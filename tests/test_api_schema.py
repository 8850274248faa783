"""Property-based run over the app's own OpenAPI schema: no 5xx, and every response matches its declaration.

Two phases: positive data, which must get answers matching the schema, and negative data (values the schema
forbids), which must be refused with a 4xx and never a 5xx. Bounded: a fixed number of examples per operation,
against a live server on 127.0.0.1 with the demo practice, authenticated with a token fitting each route's
callers: the CDS Hooks routes with a JWT of the practice's trusted EHR, signed for the very URL of each call
with a fresh jti, so their bodies are checked and answered rather than refused at the door. One test per
operation and phase, so the run grows with every route added.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.cds_hooks.middleware import is_cds_path
from app.core.config import Settings
from app.main import create_app
from tests.cds_hooks.conftest import cds_practices_file
from tests.cds_hooks.ehr import Ehr, es384_key, rs384_key, write_jwks
from tests.support import databases
from tests.support.identity import AUDIENCE, ISSUER, IdentityProvider, bearer
from tests.support.live_server import free_port, live_server

EXAMPLES_PER_OPERATION = 20
NEGATIVE_EXAMPLES_PER_OPERATION = 10
SECRET = "schema-run-secret-that-is-long-enough-0123"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(dev_mode=True, var_dir=Path("/nonexistent"))).openapi()
)
OPERATIONS = {f"{op.method.upper()} {op.path}": op for op in (r.ok() for r in SCHEMA.get_all_operations())}
# An operation that takes no input has no data the schema forbids.
OPERATIONS_TAKING_INPUT = sorted(
    label for label, op in OPERATIONS.items() if op.path_parameters or op.query or op.headers or op.body
)


@pytest.fixture(scope="module")
def api_identity(tmp_path_factory: pytest.TempPathFactory) -> IdentityProvider:
    return IdentityProvider.create(tmp_path_factory.mktemp("schema-identity"))


@pytest.fixture(scope="module")
def api_ehr() -> Ehr:
    """The demo practice's clinical system, trusted to call the CDS services; it serves no records."""
    return Ehr(es384_key(), rs384_key())


@pytest.fixture(scope="module")
def api_server(
    tmp_path_factory: pytest.TempPathFactory, api_identity: IdentityProvider, api_ehr: Ehr
) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("schema-run")
    template = databases.sqlite_template(directory)
    jwks = write_jwks(directory / "ehr-jwks.json", api_ehr.es384, api_ehr.rs384)
    # No server listens there: a call the schema allows may name it, and is then answered as unreachable.
    practices = cds_practices_file(directory / "config", jwks=jwks, fhir_server="http://127.0.0.1:9/fhir")
    port = free_port()
    app_settings = Settings(
        database_url=databases.sqlite_copy(template, directory),
        var_dir=directory / "var",
        jwks=str(api_identity.jwks_path),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        secret_key=SECRET,
        audit_key=SECRET,
        practices_file=practices,
        public_base_url=f"http://127.0.0.1:{port}",
    )
    with live_server(create_app(app_settings), port=port) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def cds_service_ids(api_server: str, api_ehr: Ehr) -> list[str]:
    """The services discovery offers: a positive case calls one of them, not a made-up id that is a 404."""
    path = "/cds-services"
    discovered = httpx.get(api_server + path, headers=api_ehr.headers(path, aud=api_server + path))
    assert discovered.status_code == 200, discovered.text
    return [service["id"] for service in discovered.json()["services"]]


def _signed_by_the_ehr(case: schemathesis.Case, api_server: str, ehr: Ehr) -> dict[str, str]:
    """A CDS Hooks call's JWT names the exact URL called and is spent once, so each case gets its own."""
    path = unquote(case.formatted_path)
    return ehr.headers(path, aud=api_server + path)


def _headers_for(path: str, method: str, identity: IdentityProvider) -> dict[str, str]:
    if path.startswith(("/v1/patients", "/v1/clinics")):
        return {**bearer(identity.consultant()), "X-Break-Glass-Reason": "schema conformance run"}
    if path.startswith(("/v1/advice-requests", "/v1/practices")) and method != "GET":
        return {**bearer(identity.practice()), "Idempotency-Key": "schema-run"}
    return bearer(identity.admin())


def _exercise(
    operation: str,
    mode: GenerationMode,
    examples: int,
    checks: list[schemathesis.CheckFunction],
    api_server: str,
    callers: tuple[IdentityProvider, Ehr, list[str]],
) -> None:
    endpoint = OPERATIONS[operation]
    identity, ehr, service_ids = callers
    headers = _headers_for(endpoint.path, endpoint.method.upper(), identity)

    @given(data=st.data())
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(data: st.DataObject) -> None:
        case = data.draw(endpoint.as_strategy(mode))
        if is_cds_path(endpoint.path):
            if mode is GenerationMode.POSITIVE and "service_id" in (case.path_parameters or {}):
                case.path_parameters = {"service_id": data.draw(st.sampled_from(service_ids))}
            headers.update(_signed_by_the_ehr(case, api_server, ehr))
        case.call_and_validate(base_url=api_server, headers=headers, checks=checks, timeout=30)

    run()


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_the_api_honours_its_own_schema(
    operation: str,
    api_server: str,
    api_identity: IdentityProvider,
    api_ehr: Ehr,
    cds_service_ids: list[str],
) -> None:
    callers = (api_identity, api_ehr, cds_service_ids)
    _exercise(operation, GenerationMode.POSITIVE, EXAMPLES_PER_OPERATION, CHECKS, api_server, callers)


@pytest.mark.parametrize("operation", OPERATIONS_TAKING_INPUT)
def test_the_api_refuses_what_its_schema_forbids_without_a_server_error(
    operation: str,
    api_server: str,
    api_identity: IdentityProvider,
    api_ehr: Ehr,
    cds_service_ids: list[str],
) -> None:
    _exercise(
        operation,
        GenerationMode.NEGATIVE,
        NEGATIVE_EXAMPLES_PER_OPERATION,
        [not_a_server_error],
        api_server,
        (api_identity, api_ehr, cds_service_ids),
    )
