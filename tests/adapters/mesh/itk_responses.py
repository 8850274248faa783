"""ITK3 responses as a practice's GP system would send them, built for the tests."""

from __future__ import annotations

import uuid
from typing import Any

from adapters.mesh.fhir_xml import to_fhir_xml
from adapters.mesh.inbox import RESPONSE_CODES
from adapters.mesh.itk import MESSAGE_EVENTS, MESSAGE_HANDLING, ODS_SYSTEM, header_id

RESPONSE_DEFINITION = "https://fhir.nhs.uk/STU3/MessageDefinition/ITK-Response-MessageDefinition-1"


def itk_response(
    message_id: str, code: str, *, response_code: str = "ok", practice_ods: str = "A12345"
) -> dict[str, Any]:
    """The JSON form of an ITK3 response (ITK008M) to our message ``message_id``, with one response code."""
    organisation_id, outcome_id = str(uuid.uuid4()), str(uuid.uuid4())
    handling = [
        {"url": "BusAckRequested", "valueBoolean": False},
        {"url": "InfAckRequested", "valueBoolean": False},
        {
            "url": "RecipientType",
            "valueCoding": {
                "system": "https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1",
                "code": "FI",
            },
        },
        {"url": "MessageDefinition", "valueReference": {"reference": RESPONSE_DEFINITION}},
        {"url": "SenderReference", "valueString": message_id},
        {"url": "LocalExtension", "valueString": "None"},
    ]
    header = {
        "resourceType": "MessageHeader",
        "id": str(uuid.uuid4()),
        "extension": [{"url": MESSAGE_HANDLING, "extension": handling}],
        "event": {"system": MESSAGE_EVENTS, "code": "ITK008M", "display": "ITK Response"},
        "sender": {"reference": f"urn:uuid:{organisation_id}"},
        "timestamp": "2026-11-22T10:00:00+00:00",
        "source": {"endpoint": "X26ABC2"},
        "response": {
            "identifier": header_id(message_id),
            "code": response_code,
            "details": {"reference": f"urn:uuid:{outcome_id}"},
        },
    }
    outcome = {
        "resourceType": "OperationOutcome",
        "id": outcome_id,
        "issue": [
            {
                "severity": "information" if response_code == "ok" else "error",
                "code": "informational" if response_code == "ok" else "processing",
                "details": {"coding": [{"system": RESPONSE_CODES, "code": code}]},
            }
        ],
    }
    organisation = {
        "resourceType": "Organization",
        "id": organisation_id,
        "identifier": [{"system": ODS_SYSTEM, "value": practice_ods}],
        "name": "Mile End Surgery",
    }
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "message",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in (header, organisation, outcome)],
    }


def itk_response_xml(message_id: str, code: str, **options: Any) -> bytes:
    return to_fhir_xml(itk_response(message_id, code, **options))
