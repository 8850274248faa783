"""Advice pushed to a practice's FHIR R4 endpoint: a Communication the receiver can deduplicate, and the
request's Task completed with the advice; both valid R4, and every failure one of the project's own errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
import respx
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.task import Task

from adapters.errors import UpstreamBadResponse, UpstreamNotFound, UpstreamUnavailable
from adapters.fhir_push import ADVICE_MESSAGE_SYSTEM, FhirPushDelivery, communication, task
from adapters.http import RetryPolicy, UpstreamClient
from tests.outbox.factories import advice_message

BASE = "https://gp.example/fhir"
NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"


@pytest.fixture
async def delivery() -> AsyncIterator[FhirPushDelivery]:
    async with httpx.AsyncClient() as client:
        upstream = UpstreamClient(
            "practice A12345 advice endpoint",
            client,
            retry=RetryPolicy(attempts=2, base_delay=0, max_delay=0),
        )
        yield FhirPushDelivery(upstream, base_url=BASE + "/", nhs_number_system=NHS_SYSTEM)


def test_the_communication_is_valid_r4_and_carries_the_advice() -> None:
    message = advice_message()
    resource = Communication.model_validate(communication(message, nhs_number_system=NHS_SYSTEM))
    assert resource.status == "completed"
    assert resource.identifier is not None
    assert (resource.identifier[0].system, resource.identifier[0].value) == (
        ADVICE_MESSAGE_SYSTEM,
        message.message_id,
    )
    assert resource.subject is not None
    assert resource.subject.identifier is not None
    assert (resource.subject.identifier.system, resource.subject.identifier.value) == (
        NHS_SYSTEM,
        "9434765919",
    )
    assert resource.basedOn is not None
    assert resource.basedOn[0].reference == f"Task/{message.advice_request_id}"
    assert resource.about is not None
    assert resource.about[0].identifier is not None
    assert resource.about[0].identifier.value == message.advice_request_id
    assert resource.payload is not None
    texts = [part.contentString for part in resource.payload]
    assert texts[0] == message.advice
    assert "Repeat eGFR and ACR (due 2027-02-22)" in (texts[1] or "")


def test_the_task_is_valid_r4_completed_with_the_advice_as_output() -> None:
    message = advice_message()
    resource = Task.model_validate(task(message, nhs_number_system=NHS_SYSTEM))
    assert (resource.id, resource.status, resource.intent) == (
        message.advice_request_id,
        "completed",
        "order",
    )
    assert resource.businessStatus is not None
    assert resource.businessStatus.coding is not None
    assert resource.businessStatus.coding[0].code == "return-with-advice"
    assert resource.output is not None
    outputs = [(item.type.text, item.valueString) for item in resource.output]
    assert ("advice", message.advice) in outputs
    assert ("follow-up action", "Review blood pressure: Target below 140/90") in outputs


@respx.mock
async def test_delivery_posts_the_communication_once_and_puts_the_task(delivery: FhirPushDelivery) -> None:
    message = advice_message()
    posted = respx.post(f"{BASE}/Communication").respond(201, json={"resourceType": "Communication"})
    put = respx.put(f"{BASE}/Task/{message.advice_request_id}").respond(200, json={"resourceType": "Task"})

    assert await delivery.deliver(message) is None

    request = posted.calls.last.request
    assert request.headers["If-None-Exist"] == f"identifier={ADVICE_MESSAGE_SYSTEM}|{message.message_id}"
    assert request.headers["Content-Type"] == "application/fhir+json"
    Communication.model_validate(orjson.loads(request.content))
    assert Task.model_validate(orjson.loads(put.calls.last.request.content)).status == "completed"


@respx.mock
async def test_a_refusal_is_a_bad_response_naming_the_resource_not_the_patient(
    delivery: FhirPushDelivery,
) -> None:
    respx.post(f"{BASE}/Communication").respond(422, json={"resourceType": "OperationOutcome"})
    with pytest.raises(UpstreamBadResponse) as refused:
        await delivery.deliver(advice_message())
    assert refused.value.detail == "POST Communication: HTTP 422, the advice was refused"
    assert "9434765919" not in str(refused.value)


@respx.mock
async def test_an_unknown_endpoint_is_not_found(delivery: FhirPushDelivery) -> None:
    message = advice_message()
    respx.post(f"{BASE}/Communication").respond(201)
    respx.put(f"{BASE}/Task/{message.advice_request_id}").respond(404)
    with pytest.raises(UpstreamNotFound):
        await delivery.deliver(message)


@respx.mock
async def test_a_practice_system_that_stays_down_is_unavailable_after_retries(
    delivery: FhirPushDelivery,
) -> None:
    route = respx.post(f"{BASE}/Communication").respond(503)
    with pytest.raises(UpstreamUnavailable):
        await delivery.deliver(advice_message())
    assert route.call_count == 2, "the conditional create is safe to retry"
