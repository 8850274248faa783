"""What arrives in our MESH inbox about the letters we sent, read into plain values.

Two kinds matter: MESH's own ``REPORT`` messages (the letter could not be routed or was never collected:
EPL-150..154, or 14 for expiry) and ITK3 responses from the practice's system (event ITK008M): an
infrastructure acknowledgement (20013: the system has it) and a business acknowledgement (30001/30004: a
person filed it; 30002/30003: it was refused). Anything the practice says in free text stays out of these
values: only codes are kept, so nothing here can carry patient data into a log or the database.
"""

from __future__ import annotations

import uuid

from adapters.mesh.fhir_xml import FhirFormatError, Node, first_value, nodes, read_fhir, values
from adapters.mesh.itk import MESSAGE_HANDLING, ODS_SYSTEM
from schemas.acknowledgements import (
    DeliveryReport,
    InboxItem,
    ItkResponse,
    ResponseVerdict,
    UnreadableResponse,
)

RESPONSE_CODES = "https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1"

__all__ = [
    "DeliveryReport",
    "InboxItem",
    "ItkResponse",
    "ResponseVerdict",
    "UnreadableResponse",
    "read_itk_response",
]


def read_itk_response(mesh_message_id: str, payload: bytes) -> ItkResponse | UnreadableResponse:
    try:
        bundle = read_fhir(payload)
    except FhirFormatError as exc:
        return UnreadableResponse(mesh_message_id, str(exc))
    headers = [r for r in nodes(bundle, "entry.resource") if _type(r) == "MessageHeader"]
    if first_value(bundle, "resourceType") != "Bundle" or len(headers) != 1:
        return UnreadableResponse(mesh_message_id, "not an ITK3 message bundle")
    header = headers[0]
    if first_value(header, "event.code") != "ITK008M":
        return UnreadableResponse(mesh_message_id, "not an ITK3 response (event is not ITK008M)")
    return ItkResponse(
        mesh_message_id=mesh_message_id,
        responds_to=_responds_to(header),
        response_code=first_value(header, "response.code"),
        codes=_response_codes(bundle),
        responder_ods=_responder_ods(bundle),
    )


def _type(resource: Node) -> str | None:
    return first_value(resource, "resourceType")


def _responds_to(header: Node) -> tuple[str, ...]:
    """Our message id, from the echoed SenderReference and from the MessageHeader id the response names."""
    found: list[str] = []
    for handling in nodes(header, "extension"):
        if first_value(handling, "url") != MESSAGE_HANDLING:
            continue
        for part in nodes(handling, "extension"):
            if first_value(part, "url") == "SenderReference":
                found.extend(values(part, "valueString"))
    for identifier in values(header, "response.identifier"):
        found.append(identifier)
        try:
            found.append(uuid.UUID(identifier).hex)
        except ValueError:
            continue
    return tuple(dict.fromkeys(found))


def _response_codes(bundle: Node) -> tuple[str, ...]:
    codes = []
    for resource in nodes(bundle, "entry.resource"):
        if _type(resource) != "OperationOutcome":
            continue
        for coding in nodes(resource, "issue.details.coding"):
            if first_value(coding, "system") == RESPONSE_CODES:
                codes.extend(values(coding, "code"))
    return tuple(dict.fromkeys(codes))


def _responder_ods(bundle: Node) -> str | None:
    for resource in nodes(bundle, "entry.resource"):
        if _type(resource) != "Organization":
            continue
        for identifier in nodes(resource, "identifier"):
            if first_value(identifier, "system") == ODS_SYSTEM:
                return first_value(identifier, "value")
    return None
