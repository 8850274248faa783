"""What arrives in our MESH inbox about the letters we sent, read into plain values.

Two kinds matter: MESH's own ``REPORT`` messages (the letter could not be routed or was never collected:
EPL-150..154, or 14 for expiry) and ITK3 responses from the practice's system (event ITK008M): an
infrastructure acknowledgement (20013: the system has it) and a business acknowledgement (30001/30004: a
person filed it; 30002/30003: it was refused). Anything the practice says in free text stays out of these
values: only codes are kept, so nothing here can carry patient data into a log or the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from adapters.mesh.fhir_xml import FhirFormatError, Node, first_value, nodes, read_fhir, values
from adapters.mesh.itk import MESSAGE_HANDLING, ODS_SYSTEM

RESPONSE_CODES = "https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1"
INFRASTRUCTURE_SUCCESS = "20013"
BUSINESS_POSITIVE = frozenset({"30001", "30004"})


class ResponseVerdict(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """MESH could not deliver a message we sent (``Mex-MessageType: REPORT``)."""

    mesh_message_id: str
    linked_message_id: str | None
    status_code: str | None


@dataclass(frozen=True, slots=True)
class ItkResponse:
    """A practice system's ITK3 response to one of our letters."""

    mesh_message_id: str
    responds_to: tuple[str, ...]
    response_code: str | None
    codes: tuple[str, ...]
    responder_ods: str | None

    @property
    def verdict(self) -> ResponseVerdict:
        business = {code for code in self.codes if code.startswith("3")}
        if business:
            return ResponseVerdict.ACCEPTED if business <= BUSINESS_POSITIVE else ResponseVerdict.REJECTED
        if self.response_code == "ok" and set(self.codes) <= {INFRASTRUCTURE_SUCCESS}:
            return ResponseVerdict.RECEIVED
        return ResponseVerdict.UNDELIVERABLE

    @property
    def summary(self) -> str:
        """The codes, for a delivery's ``last_error``: safe to store and show."""
        return ", ".join(self.codes) or (self.response_code or "no response code")


@dataclass(frozen=True, slots=True)
class UnreadableResponse:
    """In an acknowledgement workflow but not an ITK3 response we can read: a person must look."""

    mesh_message_id: str
    reason: str


InboxItem = DeliveryReport | ItkResponse | UnreadableResponse


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
