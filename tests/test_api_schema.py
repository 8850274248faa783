"""Property-based run over the app's own OpenAPI schema: no 5xx, and every response matches its declaration.

Two phases: positive data, which must get answers matching the schema, and negative data (values the schema
forbids), which must be refused with a 4xx and never a 5xx. Bounded: a fixed number of examples per operation,
against a live server on 127.0.0.1 with the demo practice, authenticated with a token fitting each route's
callers. One test per operation and phase, so the run grows with every route added.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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

from app.core.config import Settings
from app.main import create_app
from tests.support import databases
from tests.support.identity import AUDIENCE, ISSUER, IdentityProvider, bearer
from tests.support.live_server import live_server

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
def api_server(tmp_path_factory: pytest.TempPathFactory, api_identity: IdentityProvider) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("schema-run")
    template = databases.sqlite_template(directory)
    app_settings = Settings(
        database_url=databases.sqlite_copy(template, directory),
        var_dir=directory / "var",
        jwks=str(api_identity.jwks_path),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        secret_key=SECRET,
        audit_key=SECRET,
    )
    with live_server(create_app(app_settings)) as base_url:
        yield base_url


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
    identity: IdentityProvider,
) -> None:
    endpoint = OPERATIONS[operation]
    headers = _headers_for(endpoint.path, endpoint.method.upper(), identity)

    @given(data=st.data())
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(data: st.DataObject) -> None:
        case = data.draw(endpoint.as_strategy(mode))
        case.call_and_validate(base_url=api_server, headers=headers, checks=checks, timeout=30)

    run()


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_the_api_honours_its_own_schema(
    operation: str, api_server: str, api_identity: IdentityProvider
) -> None:
    _exercise(operation, GenerationMode.POSITIVE, EXAMPLES_PER_OPERATION, CHECKS, api_server, api_identity)


@pytest.mark.parametrize("operation", OPERATIONS_TAKING_INPUT)
def test_the_api_refuses_what_its_schema_forbids_without_a_server_error(
    operation: str, api_server: str, api_identity: IdentityProvider
) -> None:
    _exercise(
        operation,
        GenerationMode.NEGATIVE,
        NEGATIVE_EXAMPLES_PER_OPERATION,
        [not_a_server_error],
        api_server,
        api_identity,
    )
