"""ITK3 responses from a practice's system are read, in XML or JSON, into a verdict on our letter."""

from __future__ import annotations

import orjson
import pytest
from fhir.resources.STU3.bundle import Bundle

from adapters.mesh.inbox import ItkResponse, ResponseVerdict, UnreadableResponse, read_itk_response
from tests.adapters.mesh.itk_responses import itk_response, itk_response_xml

MESSAGE_ID = "9f1c2f1e0b4d4a8f8e7d6c5b4a392817"


def _read(payload: bytes) -> ItkResponse:
    read = read_itk_response("MESH1", payload)
    assert isinstance(read, ItkResponse), read
    return read


def test_the_test_responses_are_valid_stu3() -> None:
    Bundle.model_validate(itk_response(MESSAGE_ID, "30001"))
    Bundle.model_validate_xml(itk_response_xml(MESSAGE_ID, "30001"))


@pytest.mark.parametrize(
    ("code", "response_code", "verdict"),
    [
        ("20013", "ok", ResponseVerdict.RECEIVED),
        ("30001", "ok", ResponseVerdict.ACCEPTED),
        ("30004", "ok", ResponseVerdict.ACCEPTED),
        ("30002", "fatal-error", ResponseVerdict.REJECTED),
        ("30003", "fatal-error", ResponseVerdict.REJECTED),
        ("10001", "fatal-error", ResponseVerdict.UNDELIVERABLE),
    ],
)
def test_each_response_code_has_its_verdict(code: str, response_code: str, verdict: ResponseVerdict) -> None:
    response = _read(itk_response_xml(MESSAGE_ID, code, response_code=response_code))
    assert response.verdict is verdict
    assert response.codes == (code,)
    assert response.summary == code


def test_the_response_names_our_message_by_sender_reference_and_header_id() -> None:
    response = _read(itk_response_xml(MESSAGE_ID, "30001"))
    assert MESSAGE_ID in response.responds_to
    assert "9f1c2f1e-0b4d-4a8f-8e7d-6c5b4a392817" in response.responds_to
    assert response.responder_ods == "A12345"
    assert response.mesh_message_id == "MESH1"


def test_a_json_response_reads_the_same_as_xml() -> None:
    from_json = _read(orjson.dumps(itk_response(MESSAGE_ID, "30004")))
    assert from_json.verdict is ResponseVerdict.ACCEPTED
    assert MESSAGE_ID in from_json.responds_to


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not xml at all <", "not well-formed XML"),
        (b"{ broken json", "not valid JSON"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]><Bundle xmlns="http://hl7.org/fhir"/>',
            "document type",
        ),
        (b"<Bundle/>", "not in the FHIR namespace"),
        (
            b'<Bundle xmlns="http://hl7.org/fhir"><type value="message"/></Bundle>',
            "not an ITK3 message bundle",
        ),
    ],
)
def test_what_cannot_be_read_is_reported_not_guessed(payload: bytes, reason: str) -> None:
    read = read_itk_response("MESH1", payload)
    assert isinstance(read, UnreadableResponse)
    assert reason in read.reason


def test_a_message_that_is_not_a_response_is_not_taken_for_one() -> None:
    document = itk_response(MESSAGE_ID, "30001")
    document["entry"][0]["resource"]["event"]["code"] = "ITK007C"
    read = read_itk_response("MESH1", orjson.dumps(document))
    assert isinstance(read, UnreadableResponse)
    assert "ITK008M" in read.reason
