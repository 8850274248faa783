"""openapi.json declares Idempotency-Key required on exactly the writes whose code will not run without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.advice.idempotency import idempotent_write
from app.core.config import Settings
from app.main import create_app

SPEC = Path(__file__).parents[2] / "openapi" / "openapi.json"
WRITES = {"post", "put", "patch", "delete"}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _operations_the_code_keys() -> set[tuple[str, str | None]]:
    app = create_app(Settings(dev_mode=True, var_dir=Path("/nonexistent-idempotency-contract")))
    return {
        (method.lower(), context.path_format)
        for context in iter_route_contexts(app.routes)
        if isinstance(route := context.original_route, APIRoute)
        and idempotent_write in set(_calls(route.dependant))
        for method in route.methods or ()
    }


def _key_parameter(operation: dict[str, Any]) -> dict[str, Any] | None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == "idempotency-key":
            found: dict[str, Any] = parameter
            return found
    return None


def _operations_declaring_a_key() -> dict[tuple[str, str], dict[str, Any]]:
    spec = orjson.loads(SPEC.read_bytes())
    return {
        (method, path): parameter
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if (parameter := _key_parameter(operation)) is not None
    }


def test_every_write_the_code_keys_declares_the_key_required_and_no_other_operation_does() -> None:
    keyed = _operations_the_code_keys()
    declared = _operations_declaring_a_key()
    assert keyed, "the advice writes need a key"
    assert {operation for operation in keyed if operation[0] in WRITES} == keyed
    assert set(declared) == keyed
    assert all(parameter["required"] is True for parameter in declared.values())


def test_the_declared_key_states_its_length_and_characters() -> None:
    for parameter in _operations_declaring_a_key().values():
        schema = parameter["schema"]
        assert (schema["type"], schema["minLength"], schema["maxLength"]) == ("string", 1, 202)
        assert schema["pattern"] == '^"?[ -~]{1,200}"?$'
        assert "200 printable ASCII characters" in parameter["description"]
