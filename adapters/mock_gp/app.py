"""The mock GP FHIR server: a practice's FHIR R4 API over files, with faults on demand.

FHIR, under ``/fhir``: ``GET metadata``; search ``GET <Type>?…`` (Patient by identifier; Observation by
patient, code and date; MedicationRequest, MedicationStatement and Condition by patient) with paging by
``_count`` and ``_offset``; read ``GET <Type>/<id>``; ``POST Communication`` and ``PUT Task/<id>`` (advice
coming back); ``DELETE <Type>/<id>`` (204, or 404 when not held): the resource leaves reads (410 Gone after),
searches and exports, nothing else goes with it (a Patient's resources stay), and its tombstone is listed by
the next export with ``_since`` (``deleted`` files).

Control, outside ``/fhir`` and never faulted: ``GET /_faults`` and ``POST /_faults`` (a JSON ``FaultConfig``,
replacing the current one); ``GET /_received`` (what was written, counted raw and once per identifier) and
``DELETE /_received``; the searches answered are counted there too, by resource type.

Bulk export (``$export`` at Patient and Group level, and its faults): ``adapters/mock_gp/bulk.py``.
Referrals (BaRS ``POST /$process-message``, and ``/_referrals``): ``adapters/mock_gp/referrals.py``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.mock_gp.bulk import BulkExports
from adapters.mock_gp.faults import FaultConfig, FaultState
from adapters.mock_gp.referrals import ReferralInbox
from adapters.mock_gp.store import ResourceStore, SearchError

FHIR_JSON = "application/fhir+json"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_MALFORMED_BODY = b'{"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": ]}'
_WRITABLE = {("POST", "Communication"), ("PUT", "Task")}


@dataclass(slots=True)
class _Answer:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Received:
    """What was written, in order (retried deliveries show as raw > unique), and the searches answered."""

    communications: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    searches: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        return {
            "communications": _counted(self.communications),
            "tasks": _counted(self.tasks),
            "searches": dict(self.searches),
        }


def _counted(resources: list[dict[str, Any]]) -> dict[str, Any]:
    unique = {_identity(resource) for resource in resources}
    return {"raw": len(resources), "unique": len(unique), "items": resources}


def _identity(resource: dict[str, Any]) -> str:
    """The resource's first business identifier (``system|value``), else its type and id."""
    identifiers = resource.get("identifier")
    if isinstance(identifiers, list) and identifiers and isinstance(identifiers[0], dict):
        first = identifiers[0]
        if first.get("value"):
            return f"{first.get('system', '')}|{first['value']}"
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _outcome(status: int, code: str, text: str, headers: dict[str, str] | None = None) -> _Answer:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return _Answer(status, body, headers or {})


class _MockGP:
    def __init__(self, store: ResourceStore, faults: FaultConfig) -> None:
        self.store = store
        self.faults = FaultState(faults)
        self.received = _Received()
        self.exports = BulkExports(store, self.faults)
        self.referrals = ReferralInbox(self.faults)

    async def fhir(self, request: Request) -> Response:
        """Every FHIR interaction goes through here, so faults apply to all of them alike."""
        faults = self.faults
        if faults.config.latency_ms:
            await asyncio.sleep(faults.config.latency_ms / 1000)
        resource_type = request.path_params.get("resource_type")
        faulted = faults.applies_to(resource_type)
        answer = self._injected(faults) if faulted else None
        if answer is None:
            answer = await self._answer(request)
        if answer.body is None:
            return Response(status_code=answer.status, headers=answer.headers)
        body = orjson.dumps(answer.body)
        if faulted and faults.take("malformed_count"):
            body = _MALFORMED_BODY
        elif faulted and faults.take("truncated_count"):
            body = body[: len(body) // 2]
        return Response(body, answer.status, answer.headers, media_type=FHIR_JSON)

    def _injected(self, faults: FaultState) -> _Answer | None:
        if faults.take("rate_limit_count"):
            retry_after = {"Retry-After": str(faults.config.retry_after_s)}
            return _outcome(429, "throttled", "too many requests (injected)", retry_after)
        if faults.take("error_count") or faults.random_error():
            return _outcome(faults.config.error_status, "transient", "injected failure")
        return None

    async def _answer(self, request: Request) -> _Answer:
        resource_type = request.path_params.get("resource_type")
        resource_id = request.path_params.get("resource_id")
        if resource_type is None:
            return _Answer(200, _capability_statement())
        if request.method == "GET":
            if resource_id is None:
                self.received.searches[resource_type] += 1
                return self._search(request, resource_type)
            return self._read(resource_type, resource_id)
        if request.method == "DELETE" and resource_id is not None:
            return self._delete(resource_type, resource_id)
        if (request.method, resource_type) not in _WRITABLE:
            return _outcome(405, "not-supported", f"{request.method} {resource_type} is not supported here")
        try:
            resource = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _outcome(400, "structure", "body is not JSON")
        if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
            return _outcome(400, "invalid", f"body is not a {resource_type}")
        return self._write(resource, resource_id)

    def _read(self, resource_type: str, resource_id: str) -> _Answer:
        found = self.store.read(resource_type, resource_id)
        if found is not None:
            return _Answer(200, found)
        if self.store.tombstone(resource_type, resource_id) is not None:
            return _outcome(410, "deleted", f"{resource_type}/{resource_id} was deleted")
        return _outcome(404, "not-found", f"{resource_type}/{resource_id} is not known")

    def _delete(self, resource_type: str, resource_id: str) -> _Answer:
        if self.store.delete(resource_type, resource_id) is None:
            return _outcome(404, "not-found", f"{resource_type}/{resource_id} is not known")
        return _Answer(204, None)

    def _write(self, resource: dict[str, Any], resource_id: str | None) -> _Answer:
        resource_type = resource["resourceType"]
        existed = False
        if resource_id is None:
            resource.pop("id", None)  # the store gives a created resource its id
            self.received.communications.append(resource)
        else:
            existed = self.store.read(resource_type, resource_id) is not None
            resource["id"] = resource_id
            self.received.tasks.append(resource)
        self.store.add(resource)
        location = {"Location": f"{resource_type}/{resource['id']}"}
        return _Answer(200 if existed else 201, resource, location)

    def _search(self, request: Request, resource_type: str) -> _Answer:
        params = list(request.query_params.multi_items())
        control = {name: value for name, value in params if name.startswith("_") and name != "_id"}
        try:
            count = min(int(control.get("_count", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
            offset = int(control.get("_offset", 0))
            matches = self.store.search(resource_type, [(n, v) for n, v in params if n not in control])
        except (ValueError, SearchError) as exc:
            return _outcome(400, "invalid", str(exc))
        base = f"{str(request.base_url).rstrip('/')}/fhir"
        page = matches[offset : offset + count]
        entries = [_entry(base, resource, "match") for resource in page]
        includes = [value for name, value in params if name == "_include"]
        for include in includes:
            entries += [_entry(base, resource, "include") for resource in self.store.included(page, include)]
        links = [{"relation": "self", "url": str(request.url)}]
        if offset + count < len(matches) or self.faults.config.endless_next:
            next_url = request.url.include_query_params(_offset=offset + count, _count=count)
            links.append({"relation": "next", "url": str(next_url)})
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "link": links,
            "entry": entries,
        }
        return _Answer(200, bundle)

    async def get_faults(self, request: Request) -> Response:
        return JSONResponse(self.faults.describe())

    async def set_faults(self, request: Request) -> Response:
        try:
            config = FaultConfig.from_mapping(orjson.loads(await request.body()))
        except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        self.faults = FaultState(config)
        self.exports.faults = self.faults
        self.referrals.faults = self.faults
        return JSONResponse(self.faults.describe())

    async def get_received(self, request: Request) -> Response:
        return JSONResponse(self.received.summary())

    async def clear_received(self, request: Request) -> Response:
        self.received = _Received()
        return Response(status_code=204)


def _entry(base: str, resource: dict[str, Any], mode: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def _capability_statement() -> dict[str, Any]:
    types = ("Patient", "Observation", "MedicationRequest", "MedicationStatement", "Condition", "Medication")
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "kind": "instance",
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{"mode": "server", "resource": [{"type": t} for t in (*types, "Communication", "Task")]}],
    }


def create_mock_gp_app(data_dir: Path, faults: FaultConfig = FaultConfig()) -> Starlette:
    """The mock GP as an ASGI app serving the FHIR resources in ``data_dir``."""
    store = ResourceStore()
    store.load_directory(data_dir)
    mock = _MockGP(store, faults)
    routes = [
        *mock.exports.routes(),
        *mock.referrals.routes(),
        Route("/fhir/metadata", mock.fhir, methods=["GET"]),
        Route("/fhir/{resource_type}", mock.fhir, methods=["GET", "POST"]),
        Route("/fhir/{resource_type}/{resource_id}", mock.fhir, methods=["GET", "PUT", "DELETE"]),
        Route("/_faults", mock.get_faults, methods=["GET"]),
        Route("/_faults", mock.set_faults, methods=["POST"]),
        Route("/_received", mock.get_received, methods=["GET"]),
        Route("/_received", mock.clear_received, methods=["DELETE"]),
    ]
    return Starlette(routes=routes)
