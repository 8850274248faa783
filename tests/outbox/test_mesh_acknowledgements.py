"""What arrives in our MESH inbox moves a letter's delivery on: received, acknowledged, or failed for a person
to look at. Each inbox message is acknowledged to MESH only once its effect is committed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.mesh.inbox import DeliveryReport, InboxItem, ItkResponse, UnreadableResponse
from app.outbox.dispatcher import Dispatcher
from app.outbox.inbox import Applied, poll_mesh_inbox
from app.outbox.models import DeliveryState
from tests.outbox.factories import Clock, CountingDelivery, queue, row

Factory = async_sessionmaker[AsyncSession]
MESH_ID = "20261122093000123456_ABCDEF"


@dataclass
class RecordedAcknowledgements:
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, session: AsyncSession, **fields: Any) -> None:
        self.calls.append(fields)


@dataclass
class FakeInbox:
    items: list[InboxItem]
    acknowledged: list[str] = field(default_factory=list)

    async def receive(self, limit: int) -> list[InboxItem]:
        return self.items[:limit]

    async def acknowledge(self, mesh_message_id: str) -> None:
        self.acknowledged.append(mesh_message_id)


def response(message_id: str, *codes: str, code: str = "ok", number: int = 1) -> ItkResponse:
    return ItkResponse(
        mesh_message_id=f"ACK{number}",
        responds_to=(message_id,),
        response_code=code,
        codes=codes,
        responder_ods="A12345",
    )


async def _sent_letter(factory: Factory, **overrides: Any) -> str:
    [message_id] = await queue(factory, channel="mesh", **overrides)
    await Dispatcher(factory, lambda _o, _c: CountingDelivery(external_id=MESH_ID), clock=Clock()).run_once()
    return message_id


async def _poll(
    factory: Factory, *items: InboxItem
) -> tuple[list[Applied], FakeInbox, RecordedAcknowledgements]:
    inbox, recorder = FakeInbox(list(items)), RecordedAcknowledgements()
    outcomes = await poll_mesh_inbox(factory, inbox, record_acknowledgement=recorder, clock=Clock())
    return outcomes, inbox, recorder


async def test_a_positive_business_acknowledgement_acknowledges_the_advice(factory: Factory) -> None:
    message_id = await _sent_letter(factory)
    outcomes, inbox, recorder = await _poll(
        factory, response(message_id, "20013"), response(message_id, "30001", number=2)
    )
    assert outcomes == [Applied.DELIVERED, Applied.ACKNOWLEDGED]
    acknowledged = await row(factory, message_id)
    assert acknowledged.status == DeliveryState.ACKNOWLEDGED
    assert acknowledged.acknowledged_at is not None
    assert inbox.acknowledged == ["ACK1", "ACK2"]
    [call] = recorder.calls
    assert call == {
        "advice_request_id": acknowledged.advice_request_id,
        "source": "mesh",
        "referral_avoided": None,
        "acknowledged_by": "A12345",
    }


async def test_accepting_a_request_for_more_information_does_not_close_the_advice(factory: Factory) -> None:
    message_id = await _sent_letter(factory, outcome="further-information-required")
    outcomes, _, recorder = await _poll(factory, response(message_id, "30001"))
    assert outcomes == [Applied.ACKNOWLEDGED]
    assert (await row(factory, message_id)).status == DeliveryState.ACKNOWLEDGED
    assert recorder.calls == []


async def test_an_acknowledgement_read_twice_reaches_the_advice_once(factory: Factory) -> None:
    message_id = await _sent_letter(factory)
    await _poll(factory, response(message_id, "30004"))
    outcomes, inbox, recorder = await _poll(
        factory, response(message_id, "30004"), response(message_id, "20013")
    )
    assert outcomes == [Applied.ALREADY, Applied.ALREADY]
    assert recorder.calls == []
    assert inbox.acknowledged == ["ACK1", "ACK1"]
    assert (await row(factory, message_id)).status == DeliveryState.ACKNOWLEDGED


async def test_a_negative_business_acknowledgement_fails_the_delivery_for_a_person(factory: Factory) -> None:
    message_id = await _sent_letter(factory)
    outcomes, _, recorder = await _poll(factory, response(message_id, "30002", code="fatal-error"))
    assert outcomes == [Applied.FAILED]
    failed = await row(factory, message_id)
    assert failed.status == DeliveryState.FAILED
    assert failed.last_error == "Letter refused by the practice (ITK response 30002)"
    assert recorder.calls == []


async def test_a_failed_infrastructure_acknowledgement_fails_the_delivery(factory: Factory) -> None:
    message_id = await _sent_letter(factory)
    await _poll(factory, response(message_id, "10001", code="fatal-error"))
    failed = await row(factory, message_id)
    assert failed.status == DeliveryState.FAILED
    assert "10001" in (failed.last_error or "")


async def test_a_mesh_non_delivery_report_fails_the_delivery(factory: Factory) -> None:
    message_id = await _sent_letter(factory)
    report = DeliveryReport(mesh_message_id="REPORT1", linked_message_id=MESH_ID, status_code="EPL-151")
    outcomes, inbox, _ = await _poll(factory, report)
    assert outcomes == [Applied.FAILED]
    failed = await row(factory, message_id)
    assert (failed.status, failed.last_error) == (
        DeliveryState.FAILED,
        "MESH could not deliver the letter (report EPL-151)",
    )
    assert inbox.acknowledged == ["REPORT1"]


async def test_responses_to_unknown_messages_are_cleared_from_the_inbox(factory: Factory) -> None:
    report = DeliveryReport(mesh_message_id="REPORT9", linked_message_id="NOT_OURS", status_code="EPL-153")
    unlinked = DeliveryReport(mesh_message_id="REPORT8", linked_message_id=None, status_code="EPL-150")
    outcomes, inbox, _ = await _poll(factory, report, unlinked, response("f" * 32, "30001"))
    assert outcomes == [Applied.UNMATCHED, Applied.UNMATCHED, Applied.UNMATCHED]
    assert inbox.acknowledged == ["REPORT9", "REPORT8", "ACK1"]


async def test_unreadable_responses_stay_in_mesh_for_a_person(factory: Factory) -> None:
    outcomes, inbox, _ = await _poll(factory, UnreadableResponse("BAD1", "the body is not well-formed XML"))
    assert outcomes == [Applied.UNREADABLE]
    assert inbox.acknowledged == []


async def test_a_response_faster_than_our_own_bookkeeping_is_read_again_later(factory: Factory) -> None:
    [message_id] = await queue(factory, channel="mesh")
    outcomes, inbox, _ = await _poll(factory, response(message_id, "20013"))
    assert outcomes == [Applied.DEFERRED]
    assert inbox.acknowledged == []
    assert (await row(factory, message_id)).status == DeliveryState.PENDING
