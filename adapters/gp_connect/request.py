"""The ``Parameters`` body of ``$gpc.getstructuredrecord``: only the clinical areas a summary needs.

GP Connect Access Record: Structured, "Retrieve a patient's structured record": an area is off when its
parameter is absent, so allergies, consultations, immunisations, referrals and diary entries are never asked
for (data minimisation). Laboratory results come under investigations (EDIFACT pathology); blood pressure and
results keyed in by hand come under uncategorised data, so a record query needs both.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from schemas.clinical import NHS_NUMBER_SYSTEM, RecordQuery

OPERATION_PROFILE = "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1"

# The part each requested area is reported under when the practice system does not support it.
AREA_PARTS: dict[str, str] = {
    "includeInvestigations": "investigations",
    "includeUncategorisedData": "uncategorised-data",
    "includeMedication": "medications",
    "includeProblems": "problems",
}


def _search_period(name: str, since: date | None) -> list[dict[str, Any]]:
    if since is None:
        return []
    return [{"name": name, "valuePeriod": {"start": since.isoformat()}}]


def _earliest(query: RecordQuery) -> date | None:
    """The widest window the observation searches need: None as soon as one of them has no lower bound."""
    starts = [search.since for search in query.observations]
    if any(start is None for start in starts):
        return None
    return min(start for start in starts if start is not None)


def structured_record_parameters(nhs_number: str, query: RecordQuery | None) -> dict[str, Any]:
    """The request for ``query``; with None, the patient alone (every clinical area off)."""
    parameters: list[dict[str, Any]] = [
        {"name": "patientNHSNumber", "valueIdentifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs_number}}
    ]
    if query is None:
        return _body(parameters)
    if query.include_medications:
        # Issues (one per prescription) repeat each authorisation many times over; a summary needs none.
        medication_parts: list[dict[str, Any]] = [
            {"name": "includePrescriptionIssues", "valueBoolean": False}
        ]
        if query.medications_since is not None:
            medication_parts.append(
                {"name": "medicationSearchFromDate", "valueDate": query.medications_since.isoformat()}
            )
        parameters.append({"name": "includeMedication", "part": medication_parts})
    if query.include_conditions:
        parameters.append({"name": "includeProblems"})
    if query.observations:
        since = _earliest(query)
        for name, period in (
            ("includeInvestigations", "investigationSearchPeriod"),
            ("includeUncategorisedData", "uncategorisedDataSearchPeriod"),
        ):
            parts = _search_period(period, since)
            parameters.append({"name": name, "part": parts} if parts else {"name": name})
    return _body(parameters)


def requested_areas(body: dict[str, Any]) -> list[str]:
    return [parameter["name"] for parameter in body["parameter"] if parameter["name"] in AREA_PARTS]


def _body(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "meta": {"profile": [OPERATION_PROFILE]}, "parameter": parameters}
