"""The mock GP's ``$export`` (FHIR Bulk Data Access 2.0), at Patient and Group level, with its faults.

Kick-off ``GET /fhir/Patient/$export`` or ``GET /fhir/Group/{id}/$export`` (``Prefer: respond-async``;
``_type``, ``_since``, ``_typeFilter`` with the spec's OR across repeated filters) answers 202 and a status
URL under ``/bulk/status/``; files are served under ``/bulk/files/``, streamed a line at a time. The job is
cut from the store at kick-off, as a snapshot at its ``transactionTime``. ``GET /_exports`` (control, never
faulted) lists the jobs and whether each was deleted.

With ``_since``, the manifest's ``deleted`` array (Bulk Data 2.0) lists one file, ``deleted.ndjson``, of
transaction Bundles, one a line, each naming one resource deleted since (``DELETE /fhir/<Type>/<id>``) by an
entry's ``request`` (``method`` DELETE, ``url`` ``Type/id``): resources of the exported ``_type``s, and for a
Group its members' (a tombstone that names no patient is listed too). ``_typeFilter`` does not narrow it: a
deleted resource is no longer there to be matched, and a client removing what it does not hold loses nothing.
Without ``_since``, or with nothing deleted since, the array is empty. The file is served, and faulted, as the
others are.

Like many servers, its Patient- and Group-level exports give only what is in the patients' compartments: a
``Medication`` in ``_type`` is accepted and exports nothing, so a client reads the Medications its requests
name with a search by ``_id``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from adapters.mock_gp.faults import FaultConfig, FaultState
from adapters.mock_gp.store import ResourceStore, SearchError, Tombstone

FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
DELETED_FILE = "deleted.ndjson"
_EXPORTABLE = (
    "Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement", "Medication",
)  # fmt: skip
_OUTSIDE_COMPARTMENT = frozenset({"Medication"})
_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})


@dataclass(slots=True)
class _Job:
    id: str
    request: str
    transaction_time: str
    files: dict[str, list[dict[str, Any]]]
    deletions: list[dict[str, Any]]
    polls_left: int
    fails: bool
    deleted: bool = False
    polls: int = 0
    downloads: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return not self.deleted and self.polls_left > 0

    def describe(self) -> dict[str, Any]:
        counts = {name: len(items) for name, items in self.files.items()}
        return {
            "id": self.id,
            "deleted": self.deleted,
            "polls": self.polls,
            "files": counts,
            "deletions": len(self.deletions),
        }


def _outcome(status: int, code: str, text: str, headers: dict[str, str] | None = None) -> Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return Response(orjson.dumps(body), status, headers, media_type=FHIR_JSON)


class BulkExports:
    """The export jobs of one mock GP; ``faults`` is read at each request, so ``POST /_faults`` applies."""

    def __init__(self, store: ResourceStore, faults: FaultState) -> None:
        self.store = store
        self.faults = faults
        self.jobs: dict[str, _Job] = {}

    def routes(self) -> list[Route]:
        """Before the mock's generic ``/fhir/{type}/{id}`` routes, which would otherwise take these."""
        return [
            Route("/fhir/Patient/$export", self.kick_off, methods=["GET"]),
            Route("/fhir/Group/{group_id}/$export", self.kick_off, methods=["GET"]),
            Route("/bulk/status/{job_id}", self.status, methods=["GET", "DELETE"]),
            Route("/bulk/files/{job_id}/{name}", self.file, methods=["GET"]),
            Route("/_exports", self.describe, methods=["GET"]),
        ]

    @property
    def config(self) -> FaultConfig:
        return self.faults.config

    async def kick_off(self, request: Request) -> Response:
        if "respond-async" not in request.headers.get("prefer", ""):
            return _outcome(400, "invalid", "$export needs Prefer: respond-async")
        busy = {"Retry-After": str(self.config.retry_after_s)}
        if self.faults.take("export_busy_count") or any(job.running for job in self.jobs.values()):
            return _outcome(429, "throttled", "another export is running", busy)
        params = list(request.query_params.multi_items())
        try:
            files, deletions = self._files(request.path_params.get("group_id"), params)
        except LookupError as exc:
            return _outcome(404, "not-found", str(exc))
        except (ValueError, SearchError) as exc:
            return _outcome(400, "invalid", str(exc))
        job = _Job(
            id=secrets.token_hex(8),
            request=str(request.url),
            transaction_time=datetime.now(UTC).isoformat(),
            files=files,
            deletions=deletions,
            polls_left=self.config.export_polls,
            fails=self.config.export_fails,
        )
        self.jobs[job.id] = job
        location = f"{str(request.base_url).rstrip('/')}/bulk/status/{job.id}"
        return Response(status_code=202, headers={"Content-Location": location})

    def _files(
        self, group_id: str | None, params: list[tuple[str, str]]
    ) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
        """The resources of each exported type, and the Bundles naming those deleted since ``_since``."""
        control = dict(params)
        if control.get("_outputFormat", NDJSON) not in _FORMATS:
            raise ValueError(f"_outputFormat {control['_outputFormat']} is not supported")
        types = [t for t in control.get("_type", ",".join(_EXPORTABLE)).split(",") if t]
        if set(types) - set(_EXPORTABLE):
            raise ValueError(f"_type may name only {', '.join(_EXPORTABLE)}")
        since = _aware(datetime.fromisoformat(control["_since"])) if "_since" in control else None
        filters: dict[str, list[list[tuple[str, str]]]] = {}
        for name, value in params:
            if name == "_typeFilter":
                resource_type, _, query = value.partition("?")
                filters.setdefault(resource_type, []).append(parse_qsl(query, keep_blank_values=True))
        members = self._members(group_id) if group_id is not None else None
        files = {
            resource_type: [r for r in self._of_type(resource_type, members, filters) if _changed(r, since)]
            for resource_type in types
        }
        return files, self._deletions(types, members, since)

    def _deletions(
        self, types: list[str], members: list[str] | None, since: datetime | None
    ) -> list[dict[str, Any]]:
        if since is None:
            return []
        scope = set(members) if members is not None else None
        gone = [
            tombstone
            for tombstone in self.store.deleted_since(since)
            if tombstone.resource_type in types
            and tombstone.resource_type not in _OUTSIDE_COMPARTMENT
            and (scope is None or tombstone.patient_id is None or tombstone.patient_id in scope)
        ]
        return [_deletion(number, tombstone) for number, tombstone in enumerate(gone, start=1)]

    def _members(self, group_id: str) -> list[str]:
        group = self.store.read("Group", group_id)
        if group is None:
            raise LookupError(f"Group/{group_id} is not known")
        references = [((m.get("entity") or {}).get("reference") or "") for m in group.get("member") or ()]
        return [reference.rsplit("/", 1)[-1] for reference in references if "Patient/" in reference]

    def _of_type(
        self, resource_type: str, members: list[str] | None, filters: dict[str, list[list[tuple[str, str]]]]
    ) -> list[dict[str, Any]]:
        if resource_type in _OUTSIDE_COMPARTMENT:
            return []
        scope: list[tuple[str, str]] = []
        if members is not None:
            scope = [("_id" if resource_type == "Patient" else "patient", ",".join(members) or "-")]
        queries = filters.get(resource_type) or [[]]
        found: dict[str, dict[str, Any]] = {}
        for query in queries:
            for resource in self.store.search(resource_type, scope + query):
                found.setdefault(resource["id"], resource)
        return list(found.values())

    async def status(self, request: Request) -> Response:
        job = self.jobs.get(request.path_params["job_id"])
        if job is None or job.deleted:
            return _outcome(404, "not-found", "no such export job")
        if request.method == "DELETE":
            job.deleted = True
            return Response(status_code=202)
        job.polls += 1
        if job.polls_left > 0:
            job.polls_left -= 1
            done = self.config.export_polls - job.polls_left
            progress = f"{100 * done // max(self.config.export_polls, 1)}% collected"
            return Response(
                status_code=202,
                headers={"Retry-After": str(self.config.retry_after_s), "X-Progress": progress},
            )
        if job.fails:
            return _outcome(500, "exception", "the export failed: the practice system ran out of disk")
        return JSONResponse(
            self._manifest(request, job), headers={"Expires": "Fri, 01 Jan 2100 00:00:00 GMT"}
        )

    def _manifest(self, request: Request, job: _Job) -> dict[str, Any]:
        base = f"{str(request.base_url).rstrip('/')}/bulk/files/{job.id}"
        output = [
            {"type": name, "url": f"{base}/{name}.ndjson", "count": len(items)}
            for name, items in job.files.items()
            if items
        ]
        deleted = (
            [{"type": "Bundle", "url": f"{base}/{DELETED_FILE}", "count": len(job.deletions)}]
            if job.deletions
            else []
        )
        wanted = {"error": self.config.export_error_file, "warning": self.config.export_warning_file}
        errors = [
            {"type": "OperationOutcome", "url": f"{base}/{severity}.outcomes.ndjson"}
            for severity, on in wanted.items()
            if on
        ]
        return {
            "transactionTime": job.transaction_time,
            "request": job.request,
            "requiresAccessToken": bool(self.config.export_access_token),
            "output": output,
            "deleted": deleted,
            "error": errors,
        }

    async def file(self, request: Request) -> Response:
        job = self.jobs.get(request.path_params["job_id"])
        name: str = request.path_params["name"]
        if job is None or job.deleted or self.config.export_expired:
            return _outcome(404, "not-found", "the file has expired")
        token = self.config.export_access_token
        if token and request.headers.get("authorization") != f"Bearer {token}":
            return _outcome(401, "login", "a bearer token is required")
        job.downloads.append(name)
        if name.endswith(".outcomes.ndjson"):
            severity = name.removesuffix(".outcomes.ndjson")
            return Response(orjson.dumps(_issue(severity)) + b"\n", media_type=NDJSON)
        items = job.deletions if name == DELETED_FILE else job.files.get(name.removesuffix(".ndjson"))
        if items is None:
            return _outcome(404, "not-found", f"no file {name}")
        return StreamingResponse(_lines(items, truncated=self.config.export_truncated), media_type=NDJSON)

    async def describe(self, request: Request) -> Response:
        return JSONResponse({"jobs": [job.describe() for job in self.jobs.values()]})


def _lines(items: list[dict[str, Any]], *, truncated: bool) -> Iterator[bytes]:
    for number, resource in enumerate(items, start=1):
        line = orjson.dumps(resource)
        if truncated and number == len(items):
            yield line[: len(line) // 2]
            return
        yield line + b"\n"


def _issue(severity: str) -> dict[str, Any]:
    text = "Observation/obs-17 could not be exported" if severity == "error" else "some codes were not mapped"
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": "processing", "diagnostics": text}],
    }


def _deletion(number: int, tombstone: Tombstone) -> dict[str, Any]:
    """One line of the ``deleted`` file: a transaction Bundle whose one entry deletes the resource."""
    return {
        "resourceType": "Bundle",
        "id": f"deleted-{number}",
        "meta": {"lastUpdated": tombstone.deleted_at.isoformat()},
        "type": "transaction",
        "entry": [{"request": {"method": "DELETE", "url": f"{tombstone.resource_type}/{tombstone.id}"}}],
    }


def _changed(resource: dict[str, Any], since: datetime | None) -> bool:
    """Whether the resource changed after ``since``; one with no ``meta.lastUpdated`` is always sent."""
    if since is None:
        return True
    updated = (resource.get("meta") or {}).get("lastUpdated")
    if not isinstance(updated, str):
        return True
    return _aware(datetime.fromisoformat(updated)) > since


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
