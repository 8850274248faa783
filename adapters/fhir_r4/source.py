"""A GP practice's FHIR R4 / UK Core server as a ``GPRecordSource``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.errors import PatientNotFound, UpstreamBadResponse, UpstreamError
from adapters.fhir_r4 import parse
from adapters.http import CircuitBreaker, RetryPolicy, UpstreamClient, decode_json
from schemas.clinical import (
    NHS_NUMBER_SYSTEM,
    Coding,
    ObservationQuery,
    RecordQuery,
    SourceFailure,
    SourcePatient,
    SourceRecord,
)

_ACCEPT = {"Accept": "application/fhir+json"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class _Search:
    part: str
    resource_type: str
    params: dict[str, str]


# Each searched type: how its resources are read, and the record list they join.
_READERS: dict[str, tuple[Callable[[Iterable[Any]], parse.Parsed[Any]], str]] = {
    "Observation": (parse.observations, "observations"),
    "MedicationRequest": (parse.medications, "medications"),
    "MedicationStatement": (parse.medications, "medications"),
    "Condition": (parse.conditions, "conditions"),
}
_MEDICATION_SEARCHES = (
    ("medication-requests", "MedicationRequest", "authoredon"),
    ("medication-statements", "MedicationStatement", "effective"),
)


class FhirR4Source:
    """Finds a patient by NHS number and runs the record's searches at once, one per part.

    A part that fails, at any page, contributes nothing and is reported in ``SourceRecord.failures``: a series
    missing its later pages would show an old result as the latest. Failing to find the patient raises.

    ``client`` belongs to the app, which creates one per practice with explicit timeouts and closes it.
    """

    adapter = "fhir-r4"

    def __init__(
        self,
        practice_ods: str,
        base_url: str,
        nhs_number_system: str = NHS_NUMBER_SYSTEM,
        *,
        client: httpx.AsyncClient,
        retry: RetryPolicy = RetryPolicy(),
        breaker: CircuitBreaker | None = None,
        page_cap: int = 50,
        page_size: int = 200,
    ) -> None:
        self.practice_ods = practice_ods
        self.nhs_number_system = nhs_number_system
        self.page_cap = page_cap
        self.page_size = page_size
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        self._source = f"practice {practice_ods}"
        self._upstream = UpstreamClient(self._source, client, retry=retry, breaker=breaker)

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client is the app's, shared by every use of this practice."""

    async def find_patient(self, nhs_number: str) -> SourcePatient:
        page = await self._page(
            str(self._base.join("Patient")), {"identifier": f"{self.nhs_number_system}|{nhs_number}"}
        )
        found = [r for r in page.resources if type(r) is dict and r.get("resourceType") == "Patient"]
        if not found:
            raise PatientNotFound(self._source, "no patient with that NHS number")
        if len(found) > 1:
            raise UpstreamBadResponse(self._source, f"{len(found)} patients share one NHS number")
        try:
            patient = parse.patient(found[0], self.nhs_number_system)
        except parse.MalformedResourceError as exc:
            raise UpstreamBadResponse(self._source, str(exc)) from exc
        if patient.nhs_number != nhs_number:
            raise UpstreamBadResponse(self._source, "the patient found carries a different NHS number")
        return patient

    async def fetch_record(self, nhs_number: str, query: RecordQuery) -> SourceRecord:
        patient = await self.find_patient(nhs_number)
        searches = self._searches(patient.resource_id, query)
        results = await asyncio.gather(*(self._run(search) for search in searches))
        record = SourceRecord(self.practice_ods, self.adapter, patient)
        for search, result in zip(searches, results, strict=True):
            if isinstance(result, SourceFailure):
                record.failures.append(result)
                continue
            getattr(record, _READERS[search.resource_type][1]).extend(result.items)
            if result.skipped:
                record.upstream_warnings.append(
                    f"{result.skipped} {search.resource_type} resources could not be read and were left out"
                )
        return record

    def _searches(self, patient_id: str, query: RecordQuery) -> list[_Search]:
        count = str(self.page_size)
        searches = [
            _Search(f"observations:{q.name}", "Observation", _observation_params(patient_id, q, count))
            for q in query.observations
            # No codes would mean every observation in the record: more than the summary needs to see.
            if q.codes
        ]
        if query.include_medications:
            for part, resource_type, date_param in _MEDICATION_SEARCHES:
                params = {"patient": patient_id, "_include": f"{resource_type}:medication", "_count": count}
                if query.medications_since is not None:
                    params[date_param] = f"ge{query.medications_since.isoformat()}"
                searches.append(_Search(part, resource_type, params))
        if query.include_conditions:
            searches.append(_Search("conditions", "Condition", {"patient": patient_id, "_count": count}))
        return searches

    async def _run(self, search: _Search) -> parse.Parsed[Any] | SourceFailure:
        try:
            resources = await self._collect(search)
        except UpstreamError as exc:
            return SourceFailure(search.part, exc.detail)
        return _READERS[search.resource_type][0](resources)

    async def _collect(self, search: _Search) -> list[Any]:
        """Every page's resources, following next links up to the page cap and refusing a loop."""
        resources: list[Any] = []
        url = str(self._base.join(search.resource_type))
        params: dict[str, str] | None = search.params
        seen = {str(httpx.URL(url, params=params))}
        for _ in range(self.page_cap):
            page = await self._page(url, params)
            resources.extend(page.resources)
            if page.next_url is None:
                return resources
            url, params = self._follow(page.next_url), None
            if url in seen:
                raise UpstreamBadResponse(self._source, "search paging loops back to a page already read")
            seen.add(url)
        raise UpstreamBadResponse(self._source, f"search has more than {self.page_cap} pages")

    async def _page(self, url: str, params: dict[str, str] | None) -> parse.SearchPage:
        response = await self._upstream.send("GET", url, params=params, headers=_ACCEPT)
        if response.status_code != 200:
            raise UpstreamBadResponse(self._source, f"search answered HTTP {response.status_code}")
        return parse.searchset(self._source, decode_json(self._source, response))

    def _follow(self, next_url: str) -> str:
        """The next page's absolute URL; it must stay on the practice's server.

        Relative links are resolved against the service base, as FHIR reads relative URLs. A link to another
        host is refused: following it would send the practice's credentials and searches wherever it points.
        """
        url = self._base.join(next_url)
        if _origin(url) != _origin(self._base):
            raise UpstreamBadResponse(self._source, "search next link points to another server")
        return str(url)


def _observation_params(patient_id: str, wanted: ObservationQuery, count: str) -> dict[str, str]:
    params = {"patient": patient_id, "code": ",".join(_token(c) for c in wanted.codes), "_count": count}
    if wanted.since is not None:
        params["date"] = f"ge{wanted.since.isoformat()}"
    return params


def _token(coding: Coding) -> str:
    return f"{_escape(coding.system)}|{_escape(coding.code)}"


def _escape(value: str) -> str:
    """FHIR search escaping: a literal ``\\``, ``,``, ``|`` or ``$`` in a value is preceded by ``\\``."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|").replace("$", "\\$")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)
