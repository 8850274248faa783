"""FHIR R4 resources an EHR already holds (CDS Hooks prefetch) or lets us read (its ``fhirServer``).

``PrefetchedSource`` is a ``GPRecordSource`` over one patient's resources in hand: it answers a record query
as the practice's FHIR server would (only the codes and dates asked for), so a CDS Hooks call's record goes
through the same query, parser and normalisation as a summary's. ``FhirServerReader`` reads the queries a
prefetch left unanswered from the EHR's FHIR server with the bearer token the EHR gave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.errors import PatientNotFound, UpstreamBadResponse, UpstreamError
from adapters.fhir_r4 import parse
from adapters.fhir_r4.elements import subject_id
from adapters.http import RetryPolicy, UpstreamClient, decode_json
from adapters.one_by_one import fetch_one_by_one
from schemas.clinical import (
    ObservationQuery,
    RecordQuery,
    SourceCondition,
    SourceFailure,
    SourceMedication,
    SourceObservation,
    SourcePatient,
    SourceRecord,
)

_ACCEPT = {"Accept": "application/fhir+json"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def answering(observations: Iterable[SourceObservation], wanted: ObservationQuery) -> list[SourceObservation]:
    """As a FHIR ``code=`` and ``date=ge`` search: a coding in the list, dated on or after ``since``."""
    codes = {(coding.system, coding.code) for coding in wanted.codes}
    since = datetime.combine(wanted.since, datetime.min.time(), UTC) if wanted.since else None
    return [
        o
        for o in observations
        if any((c.system, c.code) in codes for c in o.codings)
        and (since is None or (o.effective is not None and o.effective >= since))
    ]


def answered_from(
    record: SourceRecord,
    query: RecordQuery,
    observations: Iterable[SourceObservation],
    medications: Iterable[SourceMedication],
    conditions: Iterable[SourceCondition],
) -> SourceRecord:
    """``record`` filled from resources in hand, as a FHIR server would answer ``query``'s searches."""
    for wanted in query.observations:
        record.observations.extend(answering(observations, wanted))
    if query.include_medications:
        since = query.medications_since
        record.medications = [
            m for m in medications if since is None or (m.authored_on is not None and m.authored_on >= since)
        ]
    if query.include_conditions:
        record.conditions = list(conditions)
    return record


class PrefetchedSource:
    """One patient's resources, already fetched by the EHR, answering record queries like a FHIR server.

    Resources about another patient are left out and reported as a failure of their part, never read as
    this patient's. ``failures`` are the parts the EHR could not supply; they make the record incomplete.
    """

    patients_per_fetch = 1

    def __init__(
        self,
        *,
        practice_ods: str,
        adapter: str,
        patient: SourcePatient,
        resources: Sequence[Any],
        failures: Sequence[SourceFailure] = (),
    ) -> None:
        self.practice_ods = practice_ods
        self.adapter = adapter
        self._patient = patient
        self._failures = list(failures)
        own: list[Any] = []
        strays = 0
        for resource in resources:
            if type(resource) is not dict:
                continue
            about = subject_id(resource)
            if about is None or about == patient.resource_id:
                own.append(resource)
            else:
                strays += 1
        if strays:
            self._failures.append(
                SourceFailure("prefetch", f"{strays} resources named another patient; left out")
            )
        self._observations = _read(parse.observations(own), "observations", self._failures)
        self._medications = _read(parse.medications(own), "medications", self._failures)
        self._conditions = _read(parse.conditions(own), "conditions", self._failures)

    async def aclose(self) -> None:
        """Nothing to release: the resources are in memory."""

    async def find_patient(self, nhs_number: str) -> SourcePatient:
        if nhs_number != self._patient.nhs_number:
            raise PatientNotFound(f"practice {self.practice_ods}", "not the patient the EHR sent")
        return self._patient

    async def fetch_records(
        self, nhs_numbers: Sequence[str], query: RecordQuery
    ) -> dict[str, SourceRecord | UpstreamError]:
        return await fetch_one_by_one(self.fetch_record, nhs_numbers, query)

    async def fetch_record(self, nhs_number: str, query: RecordQuery) -> SourceRecord:
        patient = await self.find_patient(nhs_number)
        record = SourceRecord(self.practice_ods, self.adapter, patient, failures=list(self._failures))
        return answered_from(record, query, self._observations, self._medications, self._conditions)


def _read(parsed: parse.Parsed[Any], part: str, failures: list[SourceFailure]) -> list[Any]:
    if parsed.skipped:
        failures.append(SourceFailure(part, f"{parsed.skipped} resources could not be read; left out"))
    return list(parsed.items)


def resources_of(source: str, found: Any) -> list[Any]:
    """The resources a prefetch value holds: a Bundle's entries, or the one resource it is.

    A Bundle's own next link is not followed: CDS Hooks prefetch Bundles carry no further pages.
    """
    if type(found) is dict and found.get("resourceType") == "Bundle":
        return parse.searchset(source, found).resources
    if type(found) is dict and isinstance(found.get("resourceType"), str):
        return [found]
    raise UpstreamBadResponse(source, "a prefetch value is neither a FHIR resource nor a Bundle")


class FhirServerReader:
    """Reads FHIR queries (relative to the EHR's server) with the EHR's bearer token.

    Search pages are followed up to ``page_cap``, and only on the same server: a next link elsewhere would
    carry the EHR's token wherever it points. ``client`` belongs to the app.
    """

    def __init__(
        self,
        base_url: str,
        access_token: str | None,
        *,
        client: httpx.AsyncClient,
        retry: RetryPolicy = RetryPolicy(),
        page_cap: int = 10,
    ) -> None:
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        self._headers = dict(_ACCEPT)
        if access_token is not None:
            self._headers["Authorization"] = f"Bearer {access_token}"
        self._source = "the EHR's FHIR server"
        self._upstream = UpstreamClient(self._source, client, retry=retry)
        self.page_cap = page_cap

    async def read(self, query: str) -> Any:
        """The resource, or one Bundle of every page's entries; ``UpstreamError`` as ``UpstreamClient``."""
        url = self._follow(query)
        body = await self._get(url)
        if type(body) is not dict or body.get("resourceType") != "Bundle":
            return body
        entries: list[Any] = []
        seen = {str(url)}
        page = parse.searchset(self._source, body)
        for _ in range(self.page_cap):
            entries.extend({"resource": resource} for resource in page.resources)
            if page.next_url is None:
                return {"resourceType": "Bundle", "type": "searchset", "entry": entries}
            url = self._follow(page.next_url)
            if str(url) in seen:
                raise UpstreamBadResponse(self._source, "search paging loops back to a page already read")
            seen.add(str(url))
            page = parse.searchset(self._source, await self._get(url))
        raise UpstreamBadResponse(self._source, f"search has more than {self.page_cap} pages")

    async def _get(self, url: httpx.URL) -> Any:
        response = await self._upstream.send("GET", url, headers=self._headers)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise UpstreamBadResponse(self._source, f"read answered HTTP {response.status_code}")
        return decode_json(self._source, response)

    def _follow(self, reference: str) -> httpx.URL:
        url = self._base.join(reference)
        if _origin(url) != _origin(self._base) or not str(url).startswith(str(self._base)):
            raise UpstreamBadResponse(self._source, "a query or next link points outside the FHIR server")
        return url


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)
