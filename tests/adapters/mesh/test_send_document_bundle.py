"""The advice letter as GP Connect Send Document: an ITK3 STU3 message Bundle, valid FHIR in JSON and XML."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any
from xml.etree import ElementTree as ET

from fhir.resources.STU3.bundle import Bundle

from adapters.letters import render_advice_letter
from adapters.mesh.fhir_xml import to_fhir_xml
from adapters.mesh.itk import (
    MESSAGE_HANDLING,
    SEND_DOCUMENT_DEFINITION,
    SenderOrganisation,
    header_id,
    mex_subject,
    send_document_bundle,
)
from tests.outbox.factories import advice_message

SENDER = SenderOrganisation(ods_code="RKEVC", name="Royal London Virtual Clinic", mailbox="X26ABC1")
SENT_AT = dt.datetime(2026, 11, 22, 9, 31, tzinfo=dt.UTC)


def _bundle(**overrides: Any) -> dict[str, Any]:
    message = advice_message(**overrides)
    return send_document_bundle(message, render_advice_letter(message), SENDER, sent_at=SENT_AT)


def _resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"]]


def test_the_message_is_a_valid_stu3_bundle_in_json_and_xml() -> None:
    bundle = _bundle()
    Bundle.model_validate(bundle)
    from_xml = Bundle.model_validate_xml(to_fhir_xml(bundle))
    assert from_xml.model_dump(mode="json", exclude_none=True) == Bundle.model_validate(bundle).model_dump(
        mode="json", exclude_none=True
    )


def test_the_xml_has_fhirs_element_order() -> None:
    """The same elements in the same order as fhir.resources writes them, so strict XML readers accept it."""
    ours = ET.fromstring(to_fhir_xml(_bundle()))
    theirs = ET.fromstring(Bundle.model_validate(_bundle()).model_dump_xml())
    assert _shape(ours) == _shape(theirs)


def _shape(element: ET.Element) -> tuple[Any, ...]:
    return (element.tag, element.get("value") is not None, element.get("url"), [_shape(c) for c in element])


def test_the_outer_bundle_is_an_itk_message_of_header_sender_and_document() -> None:
    bundle = _bundle()
    assert bundle["type"] == "message"
    assert bundle["meta"]["profile"] == ["https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Message-Bundle-1"]
    assert [r["resourceType"] for r in _resources(bundle)] == ["MessageHeader", "Organization", "Bundle"]
    organisation = _resources(bundle)[1]
    assert organisation["identifier"] == [
        {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RKEVC"}
    ]


def test_the_header_is_a_send_document_event_asking_for_both_acknowledgements() -> None:
    message = advice_message()
    bundle = send_document_bundle(message, b"%PDF", SENDER, sent_at=SENT_AT)
    header, organisation, document = _resources(bundle)
    assert header["id"] == header_id(message.message_id)
    assert header["event"]["code"] == "ITK007C"
    assert header["event"]["system"] == "https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2"
    assert header["sender"] == {"reference": f"urn:uuid:{organisation['id']}"}
    assert header["focus"] == [{"reference": f"urn:uuid:{document['id']}"}]
    assert header["source"] == {"endpoint": "X26ABC1"}
    assert header["timestamp"] == "2026-11-22T09:31:00+00:00"
    assert "receiver" not in header
    [handling] = header["extension"]
    assert handling["url"] == MESSAGE_HANDLING
    parts = {part["url"]: part for part in handling["extension"]}
    assert parts["BusAckRequested"]["valueBoolean"] is True
    assert parts["InfAckRequested"]["valueBoolean"] is True
    assert parts["RecipientType"]["valueCoding"]["code"] == "FA"
    assert parts["MessageDefinition"]["valueReference"] == {"reference": SEND_DOCUMENT_DEFINITION}
    assert parts["SenderReference"]["valueString"] == message.message_id
    assert parts["LocalExtension"]["valueString"] == "None"


def test_advice_without_actions_is_for_information() -> None:
    header = _resources(_bundle(actions=[]))[0]
    parts = {part["url"]: part for part in header["extension"][0]["extension"]}
    assert parts["RecipientType"]["valueCoding"]["code"] == "FI"


def test_the_document_holds_composition_organisation_practitioner_patient_and_the_pdf() -> None:
    message = advice_message()
    pdf = render_advice_letter(message)
    document = _resources(send_document_bundle(message, pdf, SENDER, sent_at=SENT_AT))[2]
    assert document["type"] == "document"
    composition, organisation, practitioner, patient, binary = _resources(document)
    assert [r["resourceType"] for r in _resources(document)] == [
        "Composition",
        "Organization",
        "Practitioner",
        "Patient",
        "Binary",
    ]
    assert composition["status"] == "final"
    assert composition["type"]["coding"][0]["system"] == "http://snomed.info/sct"
    assert composition["subject"] == {"reference": f"urn:uuid:{patient['id']}"}
    assert composition["author"] == [{"reference": f"urn:uuid:{practitioner['id']}"}]
    assert composition["custodian"] == {"reference": f"urn:uuid:{organisation['id']}"}
    assert composition["section"][0]["entry"] == [{"reference": f"urn:uuid:{binary['id']}"}]
    assert "confidentiality" not in composition
    assert patient["identifier"] == [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}]
    assert patient["birthDate"] == "1953-02-19"
    assert patient["name"] == [{"use": "official", "text": "Harold Smith", "family": "Smith"}]
    assert binary["contentType"] == "application/pdf"
    assert base64.b64decode(binary["content"]) == pdf
    for resource in (composition, organisation, practitioner, patient):
        assert resource["meta"]["profile"][0].startswith(
            "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-"
        )


def test_re_issued_advice_replaces_the_earlier_document() -> None:
    first = _resources(_resources(_bundle())[2])[0]
    assert "relatesTo" not in first
    assert first["meta"]["versionId"] == "1"
    second = _resources(_resources(_bundle(version=2))[2])[0]
    assert second["meta"]["versionId"] == "2"
    assert second["relatesTo"] == [{"code": "replaces", "targetIdentifier": second["identifier"]}]


def test_a_redelivery_is_the_same_message() -> None:
    message = advice_message()
    pdf = render_advice_letter(message)
    once = send_document_bundle(message, pdf, SENDER, sent_at=SENT_AT)
    again = send_document_bundle(message, pdf, SENDER, sent_at=SENT_AT + dt.timedelta(hours=1))
    again["entry"][0]["resource"]["timestamp"] = once["entry"][0]["resource"]["timestamp"]
    assert once == again


def test_the_header_id_is_the_message_id_as_a_uuid() -> None:
    assert header_id("9f1c2f1e0b4d4a8f8e7d6c5b4a392817") == "9f1c2f1e-0b4d-4a8f-8e7d-6c5b4a392817"
    derived = header_id("not-a-uuid")
    assert uuid.UUID(derived)
    assert derived == header_id("not-a-uuid")


def test_the_subject_line_follows_the_guide() -> None:
    assert mex_subject(advice_message(), SENDER) == (
        "Nephrology advice for Harold Smith, NHS Number: 9434765919, seen at Royal London Virtual Clinic, "
        "ODS code: RKEVC, version 1"
    )
