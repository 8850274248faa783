"""Advice to a practice by GP Connect Send Document: the letter as PDF, in an ITK3 message, over MESH."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Protocol

from adapters.letters import render_advice_letter
from adapters.mesh.fhir_xml import to_fhir_xml
from adapters.mesh.itk import SenderOrganisation, mex_subject, send_document_bundle
from schemas.advice import AdviceMessage

SEND_DOCUMENT_WORKFLOW = "GPCONNECT_SEND_DOCUMENT"
ITK_CONTENT_TYPE = "application/fhir+xml"


class MessageSender(Protocol):
    async def send(
        self,
        *,
        recipient: str,
        payload: bytes,
        workflow_id: str,
        subject: str,
        local_id: str,
        filename: str,
        content_type: str,
    ) -> str: ...


def send_document_payload(
    message: AdviceMessage, sender: SenderOrganisation, *, sent_at: dt.datetime
) -> bytes:
    """The ITK3 message as the XML MESH carries, with the letter inside."""
    pdf = render_advice_letter(message)
    return to_fhir_xml(send_document_bundle(message, pdf, sender, sent_at=sent_at))


class MeshLetterDelivery:
    """Sends advice letters to one practice's MESH mailbox (``recipient``); returns the MESH message id."""

    def __init__(
        self,
        mailbox: MessageSender,
        *,
        recipient: str,
        sender: SenderOrganisation,
        workflow_id: str = SEND_DOCUMENT_WORKFLOW,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._mailbox = mailbox
        self._recipient = recipient
        self._sender = sender
        self._workflow_id = workflow_id
        self._clock = clock

    async def deliver(self, message: AdviceMessage) -> str:
        # Laying out the PDF is pure Python and takes tens of milliseconds: off the event loop.
        payload = await asyncio.to_thread(send_document_payload, message, self._sender, sent_at=self._clock())
        return await self._mailbox.send(
            recipient=self._recipient,
            payload=payload,
            workflow_id=self._workflow_id,
            subject=mex_subject(message, self._sender),
            # GP Connect Send Document asks for the sending organisation's ODS code here.
            local_id=self._sender.ods_code,
            filename=f"{message.message_id}.xml",
            content_type=ITK_CONTENT_TYPE,
        )
