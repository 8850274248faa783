"""A practice's FHIR server as respx mocks it for the FhirR4Source tests: its resources and answers."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import respx

from adapters.fhir_r4 import FhirR4Source
from adapters.http import RetryPolicy
from schemas.clinical import LOINC, NHS_NUMBER_SYSTEM, SNOMED, Coding, ObservationQuery, RecordQuery

BASE = "https://gp.example/fhir"
NHS = "9434765919"
EGFR = ObservationQuery(
    "egfr", (Coding(SNOMED, "1011481000000105"), Coding(LOINC, "33914-3")), since=date(2021, 4, 1)
)
EVERYTHING = RecordQuery(observations=(EGFR,), medications_since=date(2023, 1, 1))
OBSERVATIONS_ONLY = RecordQuery(observations=(EGFR,), include_medications=False, include_conditions=False)


def patient(nhs_number: str = NHS, resource_id: str = "p1") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": resource_id,
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": nhs_number}],
        "name": [{"use": "official", "given": ["Isaiah"], "family": "Schaden"}],
        "gender": "male",
        "birthDate": "1953-02-19",
    }


def observation(resource_id: str, value: object = 41.6) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "33914-3"}]},
        "effectiveDateTime": "2024-01-02T09:00:00+00:00",
        "valueQuantity": {"value": value, "unit": "mL/min/{1.73_m2}"},
    }


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> httpx.Response:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    entries = [{"resource": resource} for resource in resources]
    return httpx.Response(
        200, json={"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries}
    )


def source(http: httpx.AsyncClient, **kwargs: Any) -> FhirR4Source:
    return FhirR4Source("A12345", BASE, client=http, retry=RetryPolicy(base_delay=0.0), **kwargs)


def params(router: respx.MockRouter, name: str, call: int = 0) -> dict[str, str]:
    return dict(router.routes[name].calls[call].request.url.params)
