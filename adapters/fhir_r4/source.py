"""A GP practice's FHIR R4 / UK Core server as a ``GPRecordSource``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Collection, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from adapters.errors import PatientNotFound, UpstreamBadResponse, UpstreamError
from adapters.fhir_r4 import parse
from adapters.fhir_r4.elements import subject_id
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
_Found = TypeVar("_Found")
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
    """Finds patients by NHS number and runs the record's searches at once, one per part.

    One fetch may name several patients of the practice (``patients_per_fetch``): FHIR search ORs
    comma-separated values, so ``Patient?identifier=a,b,c`` finds them all and ``Observation?patient=x,y,z``
    reads every one's results in one search. A clinic's worklist then costs the practice a handful of searches
    instead of a handful per patient. Results are filed to a patient by their subject reference; a result
    naming a patient the search did not ask for is left out and reported, never shown as someone else's.

    A part that fails, at any page, contributes nothing and is reported in ``SourceRecord.failures``: a series
    missing its later pages would show an old result as the latest. Failing to find a patient is that
    patient's failure alone.

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
        largest_page: int = 1000,
        patients_per_fetch: int = 10,
    ) -> None:
        self.practice_ods = practice_ods
        self.nhs_number_system = nhs_number_system
        self.page_cap = page_cap
        self.page_size = page_size
        self.largest_page = largest_page
        self.patients_per_fetch = patients_per_fetch
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        self._source = f"practice {practice_ods}"
        self._upstream = UpstreamClient(self._source, client, retry=retry, breaker=breaker)

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client is the app's, shared by every use of this practice."""

    async def find_patient(self, nhs_number: str) -> SourcePatient:
        return _or_raise((await self._find_patients([nhs_number]))[nhs_number])

    async def fetch_record(self, nhs_number: str, query: RecordQuery) -> SourceRecord:
        return _or_raise((await self.fetch_records([nhs_number], query))[nhs_number])

    async def fetch_records(
        self, nhs_numbers: Sequence[str], query: RecordQuery
    ) -> dict[str, SourceRecord | UpstreamError]:
        """Each patient's record, or why it could not be read; one search per part for all of them."""
        try:
            found = await self._find_patients(nhs_numbers)
        except UpstreamError as exc:
            return dict.fromkeys(nhs_numbers, exc)
        records = {
            patient.resource_id: SourceRecord(self.practice_ods, self.adapter, patient)
            for patient in found.values()
            if isinstance(patient, SourcePatient)
        }
        if records:
            searches = self._searches(list(records), query)
            results = await asyncio.gather(*(self._run(search) for search in searches))
            for search, result in zip(searches, results, strict=True):
                _file(search, result, records)
        return {
            nhs_number: records[patient.resource_id] if isinstance(patient, SourcePatient) else patient
            for nhs_number, patient in found.items()
        }

    async def _find_patients(self, nhs_numbers: Sequence[str]) -> dict[str, SourcePatient | UpstreamError]:
        """Each NHS number's patient, or why there is none; raises when the search itself fails.

        Pages are read only until every patient asked for has been seen: a search by identifier matches no
        more patients than it names, so a further page can only repeat or add what does not belong.
        """
        system = _escape(self.nhs_number_system)
        identifiers = ",".join(f"{system}|{_escape(nhs_number)}" for nhs_number in nhs_numbers)
        search = _Search("patients", "Patient", {"identifier": identifiers, "_count": str(self.page_size)})
        wanted = set(nhs_numbers)
        matches: dict[str, list[SourcePatient]] = {}
        unexplained: str | None = None
        async with aclosing(self._pages(search)) as pages:
            async for page in pages:
                for resource in page:
                    try:
                        patient = _patient_in(resource, self.nhs_number_system)
                    except parse.MalformedResourceError as exc:
                        unexplained = str(exc)
                        continue
                    if patient is None:
                        continue
                    if patient.nhs_number in wanted:
                        matches.setdefault(patient.nhs_number, []).append(patient)
                    else:
                        unexplained = "the patient found carries a different NHS number"
                if len(matches) == len(wanted):
                    break
        return {nhs: self._one_patient(matches.get(nhs, []), unexplained) for nhs in nhs_numbers}

    def _one_patient(
        self, matches: list[SourcePatient], unexplained: str | None
    ) -> SourcePatient | UpstreamError:
        if len(matches) == 1:
            return matches[0]
        if matches:
            return UpstreamBadResponse(self._source, f"{len(matches)} patients share one NHS number")
        if unexplained is not None:
            return UpstreamBadResponse(self._source, unexplained)
        return PatientNotFound(self._source, "no patient with that NHS number")

    def _searches(self, patient_ids: list[str], query: RecordQuery) -> list[_Search]:
        # Pages as long for each patient as for one, up to the largest page a server is asked for: a batch
        # then takes no more round trips than one patient does, and the server still pages beyond its own cap.
        count = str(max(self.page_size, min(self.page_size * len(patient_ids), self.largest_page)))
        patients = ",".join(patient_ids)
        searches = [
            _Search(f"observations:{q.name}", "Observation", _observation_params(patients, q, count))
            for q in query.observations
            # No codes would mean every observation in the record: more than the summary needs to see.
            if q.codes
        ]
        if query.include_medications:
            for part, resource_type, date_param in _MEDICATION_SEARCHES:
                params = {"patient": patients, "_include": f"{resource_type}:medication", "_count": count}
                if query.medications_since is not None:
                    params[date_param] = f"ge{query.medications_since.isoformat()}"
                searches.append(_Search(part, resource_type, params))
        if query.include_conditions:
            searches.append(_Search("conditions", "Condition", {"patient": patients, "_count": count}))
        return searches

    async def _run(self, search: _Search) -> list[Any] | SourceFailure:
        try:
            return await self._collect(search)
        except UpstreamError as exc:
            return SourceFailure(search.part, exc.detail)

    async def _collect(self, search: _Search) -> list[Any]:
        """Every page's resources, following next links up to the page cap and refusing a loop."""
        resources: list[Any] = []
        async for page in self._pages(search):
            resources.extend(page)
        return resources

    async def _pages(self, search: _Search) -> AsyncGenerator[list[Any], None]:
        """Each page's resources in turn; the reader may stop early, and no further page is asked for.

        Each page's URL is parsed once, here, and sent as it is: a search names many patients and codes, and
        httpx parsing a long URL again at each step was a fifth of a summary's CPU.
        """
        # The base ends in "/" and a resource type is a bare name, so joining them is appending.
        url = httpx.URL(f"{self._base}{search.resource_type}", params=search.params)
        seen = {str(url)}
        for _ in range(self.page_cap):
            page = await self._page(url)
            yield page.resources
            if page.next_url is None:
                return
            url = self._follow(page.next_url)
            if str(url) in seen:
                raise UpstreamBadResponse(self._source, "search paging loops back to a page already read")
            seen.add(str(url))
        raise UpstreamBadResponse(self._source, f"search has more than {self.page_cap} pages")

    async def _page(self, url: httpx.URL) -> parse.SearchPage:
        response = await self._upstream.send("GET", url, headers=_ACCEPT)
        if response.status_code != 200:
            raise UpstreamBadResponse(self._source, f"search answered HTTP {response.status_code}")
        return parse.searchset(self._source, decode_json(self._source, response))

    def _follow(self, next_url: str) -> httpx.URL:
        """The next page's absolute URL; it must stay on the practice's server.

        Relative links are resolved against the service base, as FHIR reads relative URLs. A link to another
        host is refused: following it would send the practice's credentials and searches wherever it points.
        """
        url = self._base.join(next_url)
        if _origin(url) != _origin(self._base):
            raise UpstreamBadResponse(self._source, "search next link points to another server")
        return url


def _or_raise(outcome: _Found | UpstreamError) -> _Found:
    if isinstance(outcome, UpstreamError):
        raise outcome
    return outcome


def _patient_in(resource: Any, nhs_number_system: str) -> SourcePatient | None:
    """The Patient a search answered with; None for any other entry (an OperationOutcome, say)."""
    if type(resource) is not dict or resource.get("resourceType") != "Patient":
        return None
    return parse.patient(resource, nhs_number_system)


def _file(search: _Search, result: list[Any] | SourceFailure, records: dict[str, SourceRecord]) -> None:
    """One search's answer, read into the records of the patients it names.

    Resources left out (unreadable, or naming a patient not asked for) leave the part incomplete: what was
    left out may be the result that matters, so the record must not read as whole.
    """
    if isinstance(result, SourceFailure):
        for record in records.values():
            record.failures.append(result)
        return
    read, part = _READERS[search.resource_type]
    by_patient, strays = _by_patient(result, search.resource_type, records)
    for patient_id, record in records.items():
        parsed = read(by_patient[patient_id])
        getattr(record, part).extend(parsed.items)
        left_out = []
        if parsed.skipped:
            left_out.append(f"{parsed.skipped} {search.resource_type} resources could not be read")
        if strays:
            left_out.append(f"{strays} {search.resource_type} resources named a patient not asked for")
        if left_out:
            record.failures.append(SourceFailure(search.part, f"{' and '.join(left_out)}; left out"))


def _by_patient(
    resources: list[Any], resource_type: str, patient_ids: Collection[str]
) -> tuple[dict[str, list[Any]], int]:
    """The searched type's resources by the patient they are about, and how many named no patient asked for.

    Other resources (the Medications a search includes, OperationOutcomes) are every patient's to read. A
    resource without a patient reference is the patient's when only one was asked for, as FHIR servers
    may leave the subject out of a search for one patient; otherwise it cannot be placed and is left out.
    """
    by_patient: dict[str, list[Any]] = {patient_id: [] for patient_id in patient_ids}
    only = next(iter(by_patient.values())) if len(by_patient) == 1 else None
    shared: list[Any] = []
    strays = 0
    for resource in resources:
        if type(resource) is not dict or resource.get("resourceType") != resource_type:
            shared.append(resource)
            continue
        patient_id = subject_id(resource)
        group = only if patient_id is None else by_patient.get(patient_id)
        if group is None:
            strays += 1
        else:
            group.append(resource)
    if shared:
        for group in by_patient.values():
            group.extend(shared)
    return by_patient, strays


def _observation_params(patients: str, wanted: ObservationQuery, count: str) -> dict[str, str]:
    params = {"patient": patients, "code": ",".join(_token(c) for c in wanted.codes), "_count": count}
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
