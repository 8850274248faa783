"""A FHIR Bulk Data Access 2.0 client: kick off ``$export``, poll the job, stream its NDJSON files.

The flow (HL7 ``bulk-data`` export.md): a kick-off ``GET [base]/Patient/$export`` (or ``Group/{id}/$export``)
with ``Prefer: respond-async`` answers 202 and a ``Content-Location``; that status URL answers 202 while the
job runs and 200 with the manifest when it is done; the manifest lists NDJSON files, one resource per line,
and ``error`` files of OperationOutcomes. The client ``DELETE``s the status URL when it is finished with the
job, or when it stops early (cancelled, or failed), so the server can drop the job and its files.

Every failure is one of the ``BulkExportError`` family in ``schemas.bulk``; no ``httpx`` exception leaves.
Completeness: each file's resources are counted against the manifest's ``count``; an ``error`` file issue of
severity ``error`` or ``fatal`` fails the export, since some resources were not exported; ``warning`` and
``information`` issues are kept in ``BulkExportProgress.issues``. How ``_typeFilter`` is used without losing
resources is in ``adapters.bulk.filters``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from typing import Any, TypeVar
from urllib.parse import quote, urljoin

import httpx
import orjson

from adapters.bulk.filters import ExportRound, plan_rounds
from adapters.bulk.manifest import outcome_issues, outcome_text, read_manifest
from adapters.bulk.ndjson import ndjson_batches, parsed_line, shown_url
from adapters.bulk.referenced import (
    REQUEST_TYPES,
    MedicationReferences,
    batches,
    bundle_resources,
    next_page,
    search_bundle,
)
from adapters.bulk.timing import BulkTiming, retry_after_seconds
from schemas.bulk import (
    BulkExportBusy,
    BulkExportError,
    BulkExportProgress,
    BulkExportRefused,
    BulkExportRequest,
    BulkExportTimedOut,
    BulkExportUnreachable,
    BulkFile,
    BulkFileExpired,
    BulkFileUnreadable,
    BulkLine,
    BulkLines,
    BulkManifest,
)

log = logging.getLogger("vclinic.bulk")

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
_FAILING_SEVERITIES = frozenset({"error", "fatal"})
AccessToken = Callable[[], Awaitable[str]]
_T = TypeVar("_T")


class BulkDataClient:
    """Exports from one practice's bulk endpoint (``source`` names it, e.g. "practice A12345 bulk").

    ``access_token`` gives the bearer token sent on every request, and on file downloads when the manifest
    sets ``requiresAccessToken`` (files may live on another host, so they get it only then).
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        client: httpx.AsyncClient,
        *,
        group_id: str | None = None,
        use_type_filter: bool = False,
        timing: BulkTiming = BulkTiming(),
        access_token: AccessToken | None = None,
    ) -> None:
        self.source = source
        self._base_url = base_url.rstrip("/")
        self._client = client
        self._group_id = group_id
        self._use_type_filter = use_type_filter
        self._timing = timing
        self._access_token = access_token

    @property
    def kick_off_url(self) -> str:
        if self._group_id is None:
            return f"{self._base_url}/Patient/$export"
        return f"{self._base_url}/Group/{quote(self._group_id, safe='')}/$export"

    def export(
        self, request: BulkExportRequest, progress: BulkExportProgress | None = None
    ) -> aclosing[AsyncGenerator[dict[str, Any], None]]:
        """Every resource ``request`` asks for, each once, parsed as it downloads::

            async with client.export(request) as resources:
                async for resource in resources: ...

        ``progress`` is updated as the export goes; its ``transaction_time`` is the ``_since`` for the next
        incremental export. Raises a ``BulkExportError`` as ``schemas.bulk`` lists. Whatever ends the export
        early (an error, a cancelled task, leaving the block) deletes the job upstream before the block is
        left: the context manager closes the generator then, not whenever it is garbage collected. The
        manifest's ``deleted`` files are not read here; ``export_batches`` gives them.
        """
        return aclosing(self._resources(request, progress or BulkExportProgress()))

    def export_batches(
        self, request: BulkExportRequest, progress: BulkExportProgress | None = None
    ) -> aclosing[AsyncGenerator[BulkLines, None]]:
        """As ``export``, but each resource as the NDJSON line it came in, unparsed, with its file's type, in
        batches (the lines of one downloaded chunk, or of one page of a search): for a reader that stores
        lines and parses them later (once), so no line is parsed twice, and that pays each step's cost once a
        batch. A line is parsed here only when a code filter must look inside it, or when it is a last line
        without its newline (whether it was cut off). Then come the lines of the manifest's ``deleted`` files
        (Bulk Data 2.0, with ``_since``): Bundles naming resources deleted since, marked ``deleted``."""
        return aclosing(self._batches(request, progress or BulkExportProgress(), with_deleted=True))

    async def _resources(
        self, request: BulkExportRequest, progress: BulkExportProgress
    ) -> AsyncGenerator[dict[str, Any], None]:
        async with aclosing(self._batches(request, progress, with_deleted=False)) as batches:
            async for batch in batches:
                for line in batch:
                    yield line.resource if line.resource is not None else parsed_line(line, self.source)

    async def _batches(
        self, request: BulkExportRequest, progress: BulkExportProgress, *, with_deleted: bool
    ) -> AsyncGenerator[BulkLines, None]:
        deadline = asyncio.get_running_loop().time() + self._timing.ceiling_seconds
        wanted = set(request.resource_types)
        references = MedicationReferences() if "Medication" in wanted and wanted & REQUEST_TYPES else None
        for export_round in plan_rounds(request, use_type_filter=self._use_type_filter):
            # Each nested generator is closed as its block ends, so a DELETE in its finally is sent then.
            rounds = self._round(export_round, request, progress, deadline, with_deleted=with_deleted)
            async with aclosing(rounds) as batches:
                async for batch in batches:
                    if references is not None:
                        for line in batch:
                            references.see(line)
                    yield batch
        if references is not None:
            async with aclosing(self._medications(references.missing(), progress, deadline)) as pages:
                async for page in pages:
                    yield page
        progress.status = "done"

    async def _medications(
        self, ids: list[str], progress: BulkExportProgress, deadline: float
    ) -> AsyncGenerator[BulkLines, None]:
        """The Medications the export's requests name and it left out (``adapters.bulk.referenced``), read
        by ``_id`` from the same server, a page at a time: one batch a page."""
        if not ids:
            return
        progress.status = "medications"
        headers = await self._headers({"Accept": FHIR_JSON}, authorised=True)
        url = f"{self._base_url}/Medication"
        number = 0
        for chunk in batches(ids):
            params: httpx.QueryParams | None = httpx.QueryParams(
                {"_id": ",".join(chunk), "_count": str(len(chunk))}
            )
            next_url: str | None = url
            while next_url is not None:
                response = await self._send("GET", next_url, deadline, params=params, headers=headers)
                if response.status_code != 200:
                    raise self._refused("the read of the medicines the export's requests name", response)
                bundle = search_bundle(self.source, response.content)
                page = [
                    BulkLine("Medication", orjson.dumps(resource), url, at, resource=resource)
                    for at, resource in enumerate(bundle_resources(bundle, "Medication"), number + 1)
                ]
                number += len(page)
                progress.resources_read += len(page)
                if page:
                    yield page
                next_url, params = next_page(bundle, self._base_url), None

    async def _round(
        self,
        export_round: ExportRound,
        request: BulkExportRequest,
        progress: BulkExportProgress,
        deadline: float,
        *,
        with_deleted: bool,
    ) -> AsyncGenerator[BulkLines, None]:
        status_url = await self._kick_off(export_round, request, progress, deadline)
        try:
            manifest = await self._manifest(status_url, progress, deadline)
            if progress.transaction_time is None or manifest.transaction_time < progress.transaction_time:
                progress.transaction_time = manifest.transaction_time
            await self._read_errors(manifest, progress, deadline)
            progress.status = "downloading"
            for file in manifest.output:
                if file.resource_type not in export_round.resource_types:
                    continue
                filtered = file.resource_type in export_round.keep
                async with aclosing(self._file_batches(file, manifest, progress, deadline)) as batches:
                    async for batch in batches:
                        if filtered:
                            batch = [line for line in batch if export_round.wants(self._look_into(line))]
                        elif not batch[-1].ended:
                            # Only a file's last line can lack its newline: parsed, whether it was cut off.
                            self._look_into(batch[-1])
                        if batch:
                            yield batch
                progress.files_read += 1
            for file in manifest.deleted if with_deleted else ():
                async with aclosing(self._file_batches(file, manifest, progress, deadline)) as batches:
                    async for batch in batches:
                        for line in batch:
                            line.deleted = True
                        yield batch
                progress.files_read += 1
        finally:
            await self._delete(status_url)

    def _look_into(self, line: BulkLine) -> dict[str, Any]:
        """The line parsed, kept on it (``resource``) so that no reader parses it again."""
        line.resource = parsed_line(line, self.source)
        return line.resource

    async def _kick_off(
        self,
        export_round: ExportRound,
        request: BulkExportRequest,
        progress: BulkExportProgress,
        deadline: float,
    ) -> str:
        pairs: list[tuple[str, str | int | float | bool | None]] = [
            ("_outputFormat", FHIR_NDJSON),
            ("_type", ",".join(export_round.resource_types)),
        ]
        if request.since is not None:
            pairs.append(("_since", request.since.isoformat()))
        pairs += [("_typeFilter", value) for value in export_round.type_filters]
        params = httpx.QueryParams(pairs)
        headers = await self._headers({"Accept": FHIR_JSON, "Prefer": "respond-async"}, authorised=True)
        url = self.kick_off_url
        for attempt in range(1, self._timing.busy_attempts + 1):
            progress.status = "kick-off"
            response = await self._send("GET", url, deadline, params=params, headers=headers)
            if response.status_code == 202:
                location: str | None = response.headers.get("content-location")
                if not location:
                    raise BulkExportRefused(
                        self.source, "the kick-off was accepted without a Content-Location"
                    )
                return urljoin(url, location)
            if response.status_code != 429:
                raise self._refused("the kick-off", response)
            wait = retry_after_seconds(response.headers.get("retry-after"))
            wait = self._timing.backoff(attempt) if wait is None else wait
            if attempt == self._timing.busy_attempts or wait >= self._remaining(deadline):
                detail = (
                    f"the server is busy with another export (429) after {attempt} tries; try again later"
                )
                raise BulkExportBusy(self.source, detail)
            await asyncio.sleep(wait)
        raise BulkExportBusy(self.source, "the server is busy with another export")

    async def _manifest(self, status_url: str, progress: BulkExportProgress, deadline: float) -> BulkManifest:
        headers = await self._headers({"Accept": "application/json"}, authorised=True)
        progress.status = "waiting"
        while True:
            response = await self._send("GET", status_url, deadline, headers=headers)
            progress.polls += 1
            if response.status_code == 200:
                return read_manifest(self.source, status_url, response.content)
            if response.status_code not in (202, 429):
                raise self._refused("the export job", response)
            server_progress = response.headers.get("x-progress")
            progress.server_progress = server_progress[:100] if server_progress else None
            wait = self._timing.next_poll(response.headers.get("retry-after"), progress.polls)
            if wait >= self._remaining(deadline):
                still = f" ({progress.server_progress})" if progress.server_progress else ""
                detail = (
                    f"the export was still running{still} when its {self._timing.ceiling_seconds:g} s ran out"
                )
                raise BulkExportTimedOut(self.source, detail)
            await asyncio.sleep(wait)

    async def _read_errors(
        self, manifest: BulkManifest, progress: BulkExportProgress, deadline: float
    ) -> None:
        for file in manifest.error:
            async with aclosing(self._file_batches(file, manifest, progress, deadline)) as batches:
                async for batch in batches:
                    for line in batch:
                        progress.issues.extend(outcome_issues(parsed_line(line, self.source), file.url))
        failing = [issue for issue in progress.issues if issue.severity in _FAILING_SEVERITIES]
        if failing:
            detail = f"the server could not export everything: {failing[0].text}"
            if len(failing) > 1:
                detail += f" (and {len(failing) - 1} more errors)"
            raise BulkExportRefused(self.source, detail)

    async def _file_batches(
        self, file: BulkFile, manifest: BulkManifest, progress: BulkExportProgress, deadline: float
    ) -> AsyncGenerator[BulkLines, None]:
        headers = await self._headers({"Accept": FHIR_NDJSON}, authorised=manifest.requires_access_token)
        if manifest.requires_access_token and self._access_token is None:
            detail = "the export's files require an access token and none is configured for this practice"
            raise BulkExportRefused(self.source, detail)
        shown = shown_url(file.url)
        request = self._client.build_request("GET", file.url, headers=headers)
        response = await self._within(deadline, self._client.send(request, stream=True), f"GET {shown}")
        try:
            if response.status_code in (404, 410):
                raise BulkFileExpired(self.source, f"{shown} has expired (HTTP {response.status_code})")
            if response.status_code != 200:
                await self._within(deadline, response.aread(), f"GET {shown}")
                raise self._refused(f"the download of {shown}", response)
            count = 0
            chunks = self._chunks(response, shown, deadline)
            split = ndjson_batches(
                chunks, source=self.source, file_url=file.url, resource_type=file.resource_type
            )
            async with aclosing(split) as batches:
                async for batch in batches:
                    count += len(batch)
                    progress.resources_read += len(batch)
                    yield batch
            if file.count is not None and count != file.count:
                detail = f"{shown} held {count} resources where the manifest counts {file.count}"
                raise BulkFileUnreadable(self.source, detail)
        finally:
            await response.aclose()

    async def _chunks(
        self, response: httpx.Response, url: str, deadline: float
    ) -> AsyncGenerator[bytes, None]:
        """The body as it arrives; each chunk bounded by the request timeout and the export's ceiling."""
        chunks = response.aiter_bytes()
        while True:
            try:
                chunk = await self._within(deadline, anext(chunks), f"GET {url}")
            except StopAsyncIteration:
                return
            yield chunk

    async def _send(
        self,
        method: str,
        url: str,
        deadline: float,
        *,
        params: httpx.QueryParams | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        request = self._client.build_request(method, url, params=params, headers=headers)
        what = f"{method} {shown_url(url)}"
        response = await self._within(deadline, self._client.send(request), what)
        if response.status_code in (401, 403):
            detail = f"{what}: refused our credentials ({response.status_code})"
            raise BulkExportRefused(self.source, detail)
        return response

    async def _within(self, deadline: float, step: Awaitable[_T], what: str) -> _T:
        """One request step, bounded by the request timeout and what is left of the ceiling."""
        remaining = self._remaining(deadline)
        limit = min(self._timing.request_seconds, remaining)
        try:
            async with asyncio.timeout(limit):
                return await step
        except TimeoutError:
            why = "the export's ceiling" if limit < self._timing.request_seconds else "the request timeout"
            raise BulkExportTimedOut(self.source, f"{what}: no answer within {limit:.3g} s ({why})") from None
        except httpx.TimeoutException:
            raise BulkExportTimedOut(self.source, f"{what}: timed out") from None
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise BulkExportUnreachable(self.source, f"{what}: {type(exc).__name__}") from None

    async def _delete(self, status_url: str) -> None:
        """Tell the server the job is done with, or abandoned; bounded, and a failure only logged."""
        try:
            headers = await self._headers({"Accept": FHIR_JSON}, authorised=True)
            async with asyncio.timeout(self._timing.cancel_seconds):
                response = await self._client.delete(status_url, headers=headers)
            log.info("%s DELETE export job -> %s", self.source, response.status_code)
        except (TimeoutError, httpx.HTTPError, BulkExportError) as exc:
            log.warning("%s DELETE export job failed: %s", self.source, type(exc).__name__)

    async def _headers(self, headers: dict[str, str], *, authorised: bool) -> dict[str, str]:
        if authorised and self._access_token is not None:
            headers["Authorization"] = f"Bearer {await self._access_token()}"
        return headers

    def _refused(self, what: str, response: httpx.Response) -> BulkExportRefused:
        said = outcome_text(response.content)
        detail = f"{what} answered HTTP {response.status_code}" + (f": {said}" if said else "")
        return BulkExportRefused(self.source, detail)

    def _remaining(self, deadline: float) -> float:
        return deadline - asyncio.get_running_loop().time()
