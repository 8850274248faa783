"""A converted advice request as a BaRS application 8 (advice to e-RS, use case a8t1) referral message.

The shape follows the BaRS "servicerequest-request" workflow for a8t1 (SPECIALTIES.md §7.2): a FHIR R4 message
Bundle whose MessageHeader (event ``servicerequest-request``, reason ``new``) focuses a ServiceRequest
(status active, intent plan, categories ``referral`` and ``a8t1``, priority from the urgency), with the
Patient by NHS number, the virtual-clinic Encounter, the Condition the practice asked about, the Consent to
share for direct care, and the Task saying what the receiver must do. The advice text (at most 8,000
characters, e-RS's limit for guidance) is the ServiceRequest's note.

Every id and time is derived from the advice message, so building the Bundle again gives the same message:
a receiver deduplicates a redelivery on ``Bundle.id`` (or ``MessageHeader.id``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from schemas.advice import AdviceMessage

MESSAGE_EVENTS_SYSTEM = "https://fhir.nhs.uk/CodeSystem/message-events-bars"
MESSAGE_REASON_SYSTEM = "https://fhir.nhs.uk/CodeSystem/message-reason-bars"
USE_CASES_SYSTEM = "https://fhir.nhs.uk/CodeSystem/usecases-categories-bars"
BROKER_PRIORITY_SYSTEM = "https://fhir.nhs.uk/CodeSystem/bars-broker-priority-status"
SNOMED = "http://snomed.info/sct"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
ADVICE_REQUEST_SYSTEM = "https://vclinic.nhs.example/Id/advice-request"
ADVICE_TEXT_LIMIT = 8000

# ServiceRequest.priority is FHIR's request-priority; BaRS brokers also carry R / U / 2WW.
_PRIORITY = {"routine": "routine", "urgent": "urgent"}
_BROKER_PRIORITY = {"routine": ("R", "Routine"), "urgent": ("U", "Urgent")}


class InvalidReferral(ValueError):
    """The Bundle built from the advice does not validate as FHIR R4; it is never sent."""


def _id(message: AdviceMessage, resource_type: str) -> str:
    return str(uuid.uuid5(uuid.UUID(hex=message.message_id), resource_type))


def _url(message: AdviceMessage, resource_type: str) -> str:
    return f"urn:uuid:{_id(message, resource_type)}"


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def _ref(message: AdviceMessage, resource_type: str) -> dict[str, str]:
    return {"reference": _url(message, resource_type)}


def message_header(message: AdviceMessage, *, source: str, destination: str) -> dict[str, Any]:
    return {
        "resourceType": "MessageHeader",
        "eventCoding": {"system": MESSAGE_EVENTS_SYSTEM, "code": "servicerequest-request"},
        "reason": {"coding": [{"system": MESSAGE_REASON_SYSTEM, "code": "new"}]},
        "source": {"endpoint": source, "software": "Virtual Clinic"},
        "destination": [{"endpoint": destination}],
        "sender": {"identifier": {"system": ODS_SYSTEM, "value": message.practice_ods}},
        "focus": [_ref(message, "ServiceRequest")],
    }


def service_request(message: AdviceMessage) -> dict[str, Any]:
    broker_code, broker_display = _BROKER_PRIORITY[message.urgency]
    return {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": ADVICE_REQUEST_SYSTEM, "value": message.advice_request_id}],
        "status": "active",
        "intent": "plan",
        "category": [
            {"coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}]},
            {"coding": [{"system": USE_CASES_SYSTEM, "code": "a8t1", "display": "AG to e-RS"}]},
        ],
        "priority": _PRIORITY[message.urgency],
        "orderDetail": [
            {"coding": [{"system": BROKER_PRIORITY_SYSTEM, "code": broker_code, "display": broker_display}]}
        ],
        "code": {"text": f"Referral to {message.specialty_title}"},
        "subject": _ref(message, "Patient"),
        "encounter": _ref(message, "Encounter"),
        "authoredOn": _instant(message.given_at),
        "requester": {"display": message.consultant_name or message.consultant_id},
        "reasonReference": [_ref(message, "Condition")],
        "supportingInfo": [_ref(message, "Consent")],
        "note": [{"text": message.advice[:ADVICE_TEXT_LIMIT], "time": _instant(message.given_at)}],
    }


def patient(message: AdviceMessage, *, nhs_number_system: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": nhs_number_system, "value": message.patient.nhs_number}],
        "generalPractitioner": [{"identifier": {"system": ODS_SYSTEM, "value": message.practice_ods}}],
    }
    if message.patient.name:
        resource["name"] = [{"text": message.patient.name}]
        if message.patient.family_name:
            resource["name"][0]["family"] = message.patient.family_name
    if message.patient.birth_date:
        resource["birthDate"] = message.patient.birth_date.isoformat()
    return resource


def encounter(message: AdviceMessage) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        # The consultant's review of the advice request: a virtual encounter, finished once answered.
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "VR",
            "display": "virtual",
        },
        "subject": _ref(message, "Patient"),
        "period": {"start": _instant(message.requested_at), "end": _instant(message.given_at)},
    }


def condition(message: AdviceMessage) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "encounter-diagnosis",
                    }
                ]
            }
        ],
        # The practice's question is the clinical summary the request carried; it is not coded.
        "code": {"text": message.question[:1000]},
        "subject": _ref(message, "Patient"),
        "encounter": _ref(message, "Encounter"),
        "recordedDate": _instant(message.requested_at),
    }


def consent(message: AdviceMessage) -> dict[str, Any]:
    return {
        "resourceType": "Consent",
        "status": "active",
        "scope": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": _ref(message, "Patient"),
        "dateTime": _instant(message.given_at),
        "policyRule": {"text": "Consent to share for direct care"},
        "provision": {
            "type": "permit",
            "purpose": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                    "code": "TREAT",
                    "display": "treatment",
                }
            ],
        },
    }


def task(message: AdviceMessage) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "priority": _PRIORITY[message.urgency],
        "code": {"coding": [{"system": SNOMED, "code": "792891000000102", "display": "Inbound referral"}]},
        "description": "Book the patient from the specialist's advice: shortlist and offer a service",
        "focus": _ref(message, "ServiceRequest"),
        "for": _ref(message, "Patient"),
        "encounter": _ref(message, "Encounter"),
        "authoredOn": _instant(message.given_at),
    }


def referral_bundle(
    message: AdviceMessage,
    *,
    source_endpoint: str,
    destination_endpoint: str,
    nhs_number_system: str = NHS_NUMBER_SYSTEM,
) -> dict[str, Any]:
    """The BaRS a8t1 message Bundle for a converted request, validated; raises InvalidReferral."""
    updated = _instant(message.given_at)
    resources = [
        message_header(message, source=source_endpoint, destination=destination_endpoint),
        service_request(message),
        patient(message, nhs_number_system=nhs_number_system),
        encounter(message),
        condition(message),
        consent(message),
        task(message),
    ]
    entries = []
    for resource in resources:
        resource_type = resource["resourceType"]
        resource["id"] = _id(message, resource_type)
        resource["meta"] = {"lastUpdated": updated}
        entries.append({"fullUrl": _url(message, resource_type), "resource": resource})
    bundle_id = str(uuid.UUID(hex=message.message_id))
    bundle = {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"lastUpdated": updated},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
        "type": "message",
        "timestamp": updated,
        "entry": entries,
    }
    validate_referral_bundle(bundle)
    return bundle


def validate_referral_bundle(bundle: dict[str, Any]) -> None:
    """Checks the Bundle and every resource in it against the FHIR R4 models, and that it is a message;
    raises InvalidReferral.

    The message names only what failed (types and paths), never the values: they are patient data.
    """
    try:
        # The Bundle's model validates each entry's resource by its own type.
        parsed = Bundle.model_validate(bundle)
    except (ValidationError, TypeError, ValueError) as exc:
        raise InvalidReferral(_where(exc)) from None
    first = parsed.entry[0].resource if parsed.entry else None
    if parsed.type != "message" or first is None or first.get_resource_type() != "MessageHeader":
        raise InvalidReferral("a referral is a message Bundle whose first entry is its MessageHeader")


def _where(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        paths = {".".join(str(part) for part in error["loc"]) for error in exc.errors()}
        return f"the referral Bundle does not validate at {', '.join(sorted(paths))[:300]}"
    return f"the referral Bundle is malformed ({type(exc).__name__})"
