"""A converted request's referral: a BaRS a8t1 message Bundle that validates, the same every time."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle

from adapters.referrals import (
    InvalidReferral,
    ReferralReceiver,
    referral_bundle,
    target_identifier_header,
    validate_referral_bundle,
)
from tests.outbox.factories import GIVEN_AT, NHS_NUMBER, advice_message

SOURCE = "https://fhir.nhs.uk/Id/dos-service-id|vclinic"
DESTINATION = "https://fhir.nhs.uk/Id/dos-service-id|2000070001"


def _bundle(**overrides: Any) -> dict[str, Any]:
    message = advice_message(
        outcome="converted-to-referral", recommendation="referral-recommended", **overrides
    )
    return referral_bundle(message, source_endpoint=SOURCE, destination_endpoint=DESTINATION)


def _resource(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    [found] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]
    return found


def test_the_referral_is_a_message_bundle_that_validates_as_fhir_r4() -> None:
    bundle = _bundle()
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "message"
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "MessageHeader",
        "ServiceRequest",
        "Patient",
        "Encounter",
        "Condition",
        "Consent",
        "Task",
    ]


def test_the_message_header_asks_for_a_new_service_request_between_the_configured_endpoints() -> None:
    bundle = _bundle()
    header = _resource(bundle, "MessageHeader")
    service_request = _resource(bundle, "ServiceRequest")
    assert header["focus"] == [{"reference": f"urn:uuid:{service_request['id']}"}]
    assert header["eventCoding"] == {
        "system": "https://fhir.nhs.uk/CodeSystem/message-events-bars",
        "code": "servicerequest-request",
    }
    assert header["reason"]["coding"][0]["code"] == "new"
    assert header["source"]["endpoint"] == SOURCE
    assert header["destination"] == [{"endpoint": DESTINATION}]


@pytest.mark.parametrize(
    ("urgency", "priority", "broker"), [("routine", "routine", "R"), ("urgent", "urgent", "U")]
)
def test_the_service_request_is_an_a8t1_referral_plan_with_the_urgency_as_priority(
    urgency: str, priority: str, broker: str
) -> None:
    request = _resource(_bundle(urgency=urgency), "ServiceRequest")
    assert (request["status"], request["intent"], request["priority"]) == ("active", "plan", priority)
    codes = {coding["code"] for category in request["category"] for coding in category["coding"]}
    assert codes == {"3457005", "a8t1"}
    assert request["orderDetail"][0]["coding"][0]["code"] == broker


def test_the_advice_travels_as_the_service_request_note_up_to_8000_characters() -> None:
    advice = "Refer to the renal clinic. " * 296 + "ok"
    assert len(advice) <= 8000
    request = _resource(_bundle(advice=advice), "ServiceRequest")
    assert request["note"][0]["text"] == advice


def test_the_patient_goes_by_nhs_number_and_consent_is_to_share_for_direct_care() -> None:
    bundle = _bundle()
    assert _resource(bundle, "Patient")["identifier"] == [
        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS_NUMBER}
    ]
    consent = _resource(bundle, "Consent")
    assert consent["status"] == "active"
    assert consent["policyRule"]["text"] == "Consent to share for direct care"
    assert consent["provision"]["purpose"][0]["code"] == "TREAT"
    assert _resource(bundle, "Task")["code"]["coding"][0]["code"] == "792891000000102"


def test_every_resource_says_when_it_was_last_updated() -> None:
    bundle = _bundle()
    stamp = GIVEN_AT.isoformat(timespec="seconds")
    assert bundle["meta"]["lastUpdated"] == stamp
    assert {e["resource"]["meta"]["lastUpdated"] for e in bundle["entry"]} == {stamp}


def test_building_it_again_gives_the_same_message_so_a_receiver_can_deduplicate() -> None:
    message_id, request_id = uuid.uuid4().hex, uuid.uuid4().hex
    first = _bundle(message_id=message_id, advice_request_id=request_id)
    again = _bundle(message_id=message_id, advice_request_id=request_id)
    assert first == again
    assert first["id"] == str(uuid.UUID(hex=message_id))
    other = _bundle()
    assert other["id"] != first["id"]
    assert other["entry"][0]["resource"]["id"] != first["entry"][0]["resource"]["id"]


def test_references_inside_the_bundle_resolve_to_its_entries() -> None:
    bundle = _bundle()
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    references = set(orjson.dumps(bundle).decode().split('"reference":"')[1:])
    assert {reference.split('"')[0] for reference in references} <= full_urls


def test_a_bundle_that_is_not_a_message_is_refused_without_quoting_it() -> None:
    bundle = _bundle()
    bundle["entry"] = bundle["entry"][1:]
    with pytest.raises(InvalidReferral, match="MessageHeader"):
        validate_referral_bundle(bundle)
    broken = _bundle()
    broken["entry"][2]["resource"]["birthDate"] = "the nineteenth of February"
    with pytest.raises(InvalidReferral) as refused:
        validate_referral_bundle(broken)
    assert "nineteenth" not in str(refused.value)
    assert "birthDate" in str(refused.value)


def test_the_target_identifier_header_is_base64_json_of_the_receiving_service() -> None:
    receiver = ReferralReceiver(
        endpoint="https://bars.example",
        target_identifier="2000070001",
        target_identifier_system="https://fhir.nhs.uk/Id/dos-service-id",
        source_endpoint=SOURCE,
        destination_endpoint=DESTINATION,
    )
    assert orjson.loads(base64.b64decode(target_identifier_header(receiver))) == {
        "value": "2000070001",
        "system": "https://fhir.nhs.uk/Id/dos-service-id",
    }
