"""Advice letters through a real MESH server (NHS Digital's mesh-sandbox): sent, collected by the practice,
acknowledged back, and our delivery moved on; and a non-delivery report marks the delivery failed."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fhir.resources.STU3.binary import Binary
from fhir.resources.STU3.bundle import Bundle
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.errors import UpstreamError
from adapters.mesh.delivery import MeshLetterDelivery
from adapters.mesh.itk import SenderOrganisation
from adapters.mesh.mailbox import MeshMailbox
from app.core.config import Settings
from app.outbox.dispatcher import Dispatcher
from app.outbox.inbox import Applied, poll_mesh_inbox
from app.outbox.models import DeliveryState
from tests.adapters.mesh.sandbox import (
    PRACTICE_MAILBOX,
    PracticeMailbox,
    our_mailbox_settings,
    report_undelivered,
    running_mesh_sandbox,
)
from tests.advice.advice_calls import answered, read, submitted
from tests.outbox.factories import queue, row, sessions
from tests.support import databases
from tests.support.identity import IdentityProvider

pytestmark = pytest.mark.integration

SENDER = SenderOrganisation(ods_code="RKEVC", name="Virtual Clinic", mailbox="X26ABC1")


@pytest.fixture(scope="module")
def mesh_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_mesh_sandbox(tmp_path_factory.mktemp("mesh-sandbox")) as url:
        yield url


@pytest.fixture
async def factory(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with sessions(databases.sqlite_copy(sqlite_template, tmp_path)) as made:
        yield made


@pytest.fixture
async def mailbox(mesh_url: str) -> AsyncIterator[MeshMailbox]:
    ours = MeshMailbox(our_mailbox_settings(mesh_url))
    yield ours
    await ours.aclose()


@pytest.fixture
def practice(mesh_url: str) -> Iterator[PracticeMailbox]:
    theirs = PracticeMailbox(mesh_url)
    yield theirs
    theirs.close()


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, session: AsyncSession, **fields: Any) -> None:
        self.calls.append(fields)


async def _send_letter(factory: async_sessionmaker[AsyncSession], mailbox: MeshMailbox) -> str:
    [message_id] = await queue(factory, channel="mesh")
    delivery = MeshLetterDelivery(mailbox, recipient=PRACTICE_MAILBOX, sender=SENDER)
    assert await Dispatcher(factory, lambda _ods, _channel: delivery).run_once() == 1
    return message_id


async def test_a_letter_goes_out_and_the_practices_acknowledgement_comes_back(
    factory: async_sessionmaker[AsyncSession], mailbox: MeshMailbox, practice: PracticeMailbox
) -> None:
    message_id = await _send_letter(factory, mailbox)
    sent = await row(factory, message_id)
    assert sent.status == DeliveryState.SENT
    assert sent.external_id

    letter = await asyncio.to_thread(practice.collect, sent.external_id)
    assert letter.workflow_id == "GPCONNECT_SEND_DOCUMENT"
    assert letter.local_id == "RKEVC"
    assert "NHS Number: 9434765919" in (letter.subject or "")
    bundle = Bundle.model_validate_xml(letter.body)
    document = bundle.entry[2].resource
    binary = document.entry[4].resource
    assert isinstance(binary, Binary)
    assert binary.content is not None
    assert binary.content.startswith(b"%PDF-"), "fhir.resources decodes base64Binary"

    await asyncio.to_thread(practice.respond, message_id, "20013")
    await asyncio.to_thread(practice.respond, message_id, "30001")
    recorder = Recorder()
    outcomes = await poll_mesh_inbox(factory, mailbox, record_acknowledgement=recorder)

    assert outcomes == [Applied.DELIVERED, Applied.ACKNOWLEDGED]
    acknowledged = await row(factory, message_id)
    assert acknowledged.status == DeliveryState.ACKNOWLEDGED
    assert [call["advice_request_id"] for call in recorder.calls] == [acknowledged.advice_request_id]
    assert await mailbox.receive() == [], "both responses were acknowledged to MESH"


async def test_a_mesh_non_delivery_report_fails_the_letter(
    factory: async_sessionmaker[AsyncSession], mailbox: MeshMailbox, mesh_url: str
) -> None:
    message_id = await _send_letter(factory, mailbox)
    sent = await row(factory, message_id)
    assert sent.external_id
    await asyncio.to_thread(report_undelivered, mesh_url, sent.external_id, "EPL-153")

    outcomes = await poll_mesh_inbox(factory, mailbox, record_acknowledgement=Recorder())

    assert outcomes == [Applied.FAILED]
    failed = await row(factory, message_id)
    assert failed.status == DeliveryState.FAILED
    assert failed.last_error == "MESH could not deliver the letter (report EPL-153)"


async def test_an_unknown_mailbox_is_refused_as_an_upstream_error(mesh_url: str) -> None:
    unknown = MeshMailbox(dataclasses.replace(our_mailbox_settings(mesh_url), mailbox="NOSUCHBOX"))
    with pytest.raises(UpstreamError) as refused:
        await unknown.receive()
    await unknown.aclose()
    assert refused.value.source == "MESH mailbox NOSUCHBOX"


PRACTICES_TOML = """
[practices.A12345]
name = "Mile End Surgery"
adapter = "fhir-r4"
base_url = "http://127.0.0.1:9/fhir"
delivery = "mesh"
mesh_mailbox = "X26ABC2"

[mesh]
base_url = "{url}"
mailbox = "X26ABC1"
password = "password"
shared_key = "Banana"
verify = false
sender_ods = "RKEVC"
sender_name = "Virtual Clinic"

[directory]
adapter = "static"

[directory.patients]
"9434765919" = "A12345"
"""


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, mesh_url: str) -> Settings:
    practices = tmp_path / "practices.toml"
    practices.write_text(PRACTICES_TOML.format(url=mesh_url), encoding="utf-8")
    return settings.model_copy(
        update={"practices_file": practices, "outbox_poll_seconds": 0.1, "outbox_mesh_poll_seconds": 0.2}
    )


async def test_advice_given_in_the_app_is_closed_by_the_practices_mesh_acknowledgement(
    client: httpx.AsyncClient, identity: IdentityProvider, practice: PracticeMailbox
) -> None:
    request_id = await submitted(client, identity.practice())
    await answered(client, identity.consultant(), request_id)

    sent = await _until(client, identity, request_id, lambda state: state["delivery"][0]["status"] == "sent")
    [delivery] = sent["delivery"]
    await asyncio.to_thread(practice.collect, delivery["external_id"])
    await asyncio.to_thread(practice.respond, delivery["message_id"], "30001")

    closed = await _until(client, identity, request_id, lambda state: state["status"] == "closed")
    assert closed["delivery"][0]["status"] == "acknowledged"
    assert closed["delivery"][0]["acknowledged_at"] is not None


async def _until(
    client: httpx.AsyncClient,
    identity: IdentityProvider,
    request_id: str,
    condition: Callable[[dict[str, Any]], bool],
    *,
    patience: float = 15.0,
) -> dict[str, Any]:
    """The request's state once ``condition`` holds, polled every 0.1 s for at most ``patience`` seconds."""
    state: dict[str, Any] = {}
    for _ in range(int(patience / 0.1)):
        state = (await read(client, identity.practice(), request_id)).json()
        if state.get("delivery") and condition(state):
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"gave up waiting; last state: status {state.get('status')}")
