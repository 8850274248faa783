"""GP Connect Send Document v2: the advice letter as an ITK3 message Bundle (FHIR STU3, JSON form).

The outer Bundle (type message) holds the MessageHeader (event ITK007C, with the ITK MessageHandling
extension asking for both acknowledgements), the sender Organization and the document Bundle; the document
Bundle holds the Composition, Organization, Practitioner, Patient and the PDF as a Binary.

Every id is derived from the message id, so a redelivery is the same message, byte for byte but its
timestamp, and the practice's system can recognise it. The MessageHeader id is the message id itself (as a
UUID), because ITK3 responses name it in ``response.identifier``.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from schemas.advice import AdviceMessage

STU3 = "https://fhir.nhs.uk/STU3/StructureDefinition/"
CARE_CONNECT = "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
MESSAGE_HANDLING = STU3 + "Extension-ITK-MessageHandling-2"
MESSAGE_EVENTS = "https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2"
RECIPIENT_TYPES = "https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1"
SEND_DOCUMENT_DEFINITION = (
    "https://fhir.nhs.uk/STU3/MessageDefinition/ITK-GPConnectSendDocument-MessageDefinition-1"
)
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
UUID_SYSTEM = "https://tools.ietf.org/html/rfc4122"
ADVICE_DOCUMENT_SYSTEM = "https://vclinic.nhs.example/Id/advice-document"
CONSULTANT_SYSTEM = "https://vclinic.nhs.example/Id/consultant"
SNOMED = "http://snomed.info/sct"
# SNOMED CT 371531000 |Report of clinical encounter (record artifact)|: the document type GP systems file
# Send Document letters under.
DOCUMENT_TYPE = {"system": SNOMED, "code": "371531000", "display": "Report of clinical encounter"}

_NAMESPACE = uuid.UUID("5f0c8f3e-7a59-4c1b-9a57-3c1f3b0f6a10")


@dataclass(frozen=True, slots=True)
class SenderOrganisation:
    ods_code: str
    name: str
    mailbox: str
    telephone: str | None = None


def header_id(message_id: str) -> str:
    """The MessageHeader id: the message id as a UUID, or a UUID derived from it when it is not one."""
    try:
        return str(uuid.UUID(message_id))
    except ValueError:
        return str(uuid.uuid5(_NAMESPACE, message_id))


def _id(message_id: str, part: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{message_id}/{part}"))


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _ref(resource_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def send_document_bundle(
    message: AdviceMessage, pdf: bytes, sender: SenderOrganisation, *, sent_at: dt.datetime
) -> dict[str, Any]:
    """The whole ITK3 message for one advice letter."""
    ids = {part: _id(message.message_id, part) for part in ("bundle", "org", "document", "doc-org")}
    document = _document_bundle(
        message, pdf, sender, organisation_id=ids["doc-org"], bundle_id=ids["document"]
    )
    return {
        "resourceType": "Bundle",
        "id": ids["bundle"],
        "meta": {"profile": [STU3 + "ITK-Message-Bundle-1"]},
        "identifier": {"system": UUID_SYSTEM, "value": ids["bundle"]},
        "type": "message",
        "entry": [
            _entry(_message_header(message, sender, ids["org"], ids["document"], sent_at)),
            _entry(_organisation(ids["org"], sender)),
            _entry(document),
        ],
    }


def _message_header(
    message: AdviceMessage,
    sender: SenderOrganisation,
    organisation_id: str,
    document_id: str,
    sent_at: dt.datetime,
) -> dict[str, Any]:
    # For action when the practice has something to do, for information otherwise.
    recipient_type = "FA" if message.actions else "FI"
    handling = [
        {"url": "BusAckRequested", "valueBoolean": True},
        {"url": "InfAckRequested", "valueBoolean": True},
        {"url": "RecipientType", "valueCoding": {"system": RECIPIENT_TYPES, "code": recipient_type}},
        {"url": "MessageDefinition", "valueReference": {"reference": SEND_DOCUMENT_DEFINITION}},
        {"url": "SenderReference", "valueString": message.message_id},
        {"url": "LocalExtension", "valueString": "None"},
    ]
    return {
        "resourceType": "MessageHeader",
        "id": header_id(message.message_id),
        "meta": {"profile": [STU3 + "ITK-MessageHeader-2"]},
        "extension": [{"url": MESSAGE_HANDLING, "extension": handling}],
        "event": {"system": MESSAGE_EVENTS, "code": "ITK007C", "display": "ITK GP Connect Send Document"},
        "sender": _ref(organisation_id),
        "timestamp": sent_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "source": {"endpoint": sender.mailbox},
        "focus": [_ref(document_id)],
    }


def _organisation(resource_id: str, sender: SenderOrganisation) -> dict[str, Any]:
    organisation: dict[str, Any] = {
        "resourceType": "Organization",
        "id": resource_id,
        "meta": {"profile": [CARE_CONNECT + "CareConnect-Organization-1"]},
        "identifier": [{"system": ODS_SYSTEM, "value": sender.ods_code}],
        "name": sender.name,
    }
    if sender.telephone:
        organisation["telecom"] = [{"system": "phone", "value": sender.telephone, "use": "work"}]
    return organisation


def _document_bundle(
    message: AdviceMessage, pdf: bytes, sender: SenderOrganisation, *, organisation_id: str, bundle_id: str
) -> dict[str, Any]:
    ids = {part: _id(message.message_id, part) for part in ("composition", "practitioner", "patient", "pdf")}
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"profile": [STU3 + "ITK-Document-Bundle-1"]},
        "identifier": {"system": UUID_SYSTEM, "value": bundle_id},
        "type": "document",
        "entry": [
            _entry(_composition(message, ids, organisation_id)),
            _entry(_organisation(organisation_id, sender)),
            _entry(_practitioner(message, ids["practitioner"])),
            _entry(_patient(message, ids["patient"])),
            _entry(_binary(ids["pdf"], pdf)),
        ],
    }


def _composition(message: AdviceMessage, ids: dict[str, str], organisation_id: str) -> dict[str, Any]:
    # One document per advice request; re-issued advice is a new version that replaces the last.
    identifier = {"system": ADVICE_DOCUMENT_SYSTEM, "value": message.advice_request_id}
    composition: dict[str, Any] = {
        "resourceType": "Composition",
        "id": ids["composition"],
        "meta": {
            "versionId": str(message.version),
            "profile": [CARE_CONNECT + "CareConnect-Composition-1"],
        },
        "identifier": identifier,
        "status": "final",
        "type": {"coding": [DOCUMENT_TYPE]},
        "subject": _ref(ids["patient"]),
        "date": message.given_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "author": [_ref(ids["practitioner"])],
        "title": f"{message.specialty_title} advice",
        "custodian": _ref(organisation_id),
    }
    if message.version > 1:
        composition["relatesTo"] = [{"code": "replaces", "targetIdentifier": identifier}]
    composition["section"] = [{"title": "Advice letter", "entry": [_ref(ids["pdf"])]}]
    return composition


def _practitioner(message: AdviceMessage, resource_id: str) -> dict[str, Any]:
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": resource_id,
        "meta": {"profile": [CARE_CONNECT + "CareConnect-Practitioner-1"]},
        "identifier": [{"system": CONSULTANT_SYSTEM, "value": message.consultant_id}],
    }
    if message.consultant_name:
        practitioner["name"] = [{"use": "official", "text": message.consultant_name}]
    return practitioner


def _patient(message: AdviceMessage, resource_id: str) -> dict[str, Any]:
    patient = message.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id,
        "meta": {"profile": [CARE_CONNECT + "CareConnect-Patient-1"]},
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": patient.nhs_number}],
    }
    name: dict[str, Any] = {"use": "official"}
    if patient.name:
        name["text"] = patient.name
    if patient.family_name:
        name["family"] = patient.family_name
    if len(name) > 1:
        resource["name"] = [name]
    if patient.birth_date:
        resource["birthDate"] = patient.birth_date.isoformat()
    return resource


def _binary(resource_id: str, pdf: bytes) -> dict[str, Any]:
    return {
        "resourceType": "Binary",
        "id": resource_id,
        "contentType": "application/pdf",
        "content": base64.b64encode(pdf).decode("ascii"),
    }


def mex_subject(message: AdviceMessage, sender: SenderOrganisation) -> str:
    """The MESH subject line the guide prescribes; "seen at" names where the patient was seen: us."""
    patient = message.patient.name or message.patient.family_name or "the patient"
    return (
        f"{message.specialty_title} advice for {patient}, NHS Number: {message.patient.nhs_number}, "
        f"seen at {sender.name}, ODS code: {sender.ods_code}, version {message.version}"
    )
